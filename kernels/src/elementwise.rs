//! ReLU, residual add, embedding lookup and the greedy argmax (numerics.md "Element-wise").

use crate::error::{check_len, KernelError};
use crate::fixed::{sat16, vadd};
use crate::matvec::BlockMatrix;

/// ReLU in place: `max(v, 0)` (VGE against the zero vector; format unchanged).
pub fn relu_in_place(v: &mut [i16]) {
    for x in v.iter_mut() {
        if *x < 0 {
            *x = 0;
        }
    }
}

/// Residual add in place: `x = sat16(x + y)` (VADD; both Q11.4).
pub fn residual_add(x: &mut [i16], y: &[i16]) -> Result<(), KernelError> {
    check_len("residual add", x.len(), y.len())?;
    for (a, &b) in x.iter_mut().zip(y) {
        *a = vadd(*a, b);
    }
    Ok(())
}

/// Embedding lookup: row `token` of the embedding matrix (stored as block records, the same
/// bytes the tied output head reads) into the residual format:
/// `x_d = sat16((0x8000 + w16 * g_emb) >> 16)` with `w16 = q << (16 - bits)` (LPV) and
/// `g_emb` the unsigned lookup scale (VMUDM rounding product, VMADM).
pub fn embedding_lookup(
    emb: &BlockMatrix<'_>,
    token: usize,
    g_emb: u16,
    out: &mut [i16],
) -> Result<(), KernelError> {
    if token >= emb.rows() {
        return Err(KernelError::Index {
            what: "token",
            index: token,
            limit: emb.rows(),
        });
    }
    check_len("embedding output", emb.cols(), out.len())?;
    let shift = 16 - emb.bits().bits();
    for (d, o) in out.iter_mut().enumerate() {
        // weight() cannot fail here: token < rows and d < cols were checked above.
        let q = emb.weight(token, d).unwrap_or(0) as i64;
        *o = sat16((0x8000 + (q << shift) * g_emb as i64) >> 16);
    }
    Ok(())
}

/// Index of the first maximum of `logits[lo..hi]` (ties go to the lower index), or `None`
/// for an empty or out-of-range window.
pub fn argmax_in(logits: &[i16], lo: usize, hi: usize) -> Option<usize> {
    if lo >= hi || hi > logits.len() {
        return None;
    }
    let mut best = lo;
    for i in lo + 1..hi {
        if logits[i] > logits[best] {
            best = i;
        }
    }
    Some(best)
}

/// The tied output head (numerics.md 6.1 and 4): `logits = E u`, the embedding's block records
/// read as a `vocab x width` matrix whose record scales are the head's integer scales (the
/// embedding's real scale times `sqrt(width)`, folded once by the converter). Logits are Q7.8.
pub fn tied_head(
    emb: &BlockMatrix<'_>,
    u: &[i16],
    logits: &mut [i16],
) -> Result<crate::matvec::Saturations, KernelError> {
    crate::matvec::matvec(emb, u, logits)
}
