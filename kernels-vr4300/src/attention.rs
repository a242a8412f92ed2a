//! Causal attention over the key/value cache, bit-identical to `kernels::attention::attention`
//! (numerics.md "Attention"), with its two sums of products in MIPS III assembly on the N64.
//!
//! Both steps of the spec are VMULF chains, `sat16((0x8000 + sum 2 a b) >> 16)` with the sum
//! exact: the score `q . k_j` over a head's dims and the output `sum_j p_j v_jd` over the
//! cached positions. LLVM compiles the spec's `i64` sum for the 32-bit o32 ABI: each term costs
//! a 64-bit add made of 32-bit halves with a carry, plus the slice bounds checks. Here each
//! term is `LH`, `LH`, `MULT`, `MFLO`, `DADDU`: `|a b| <= 2^30` fits the 32-bit `LO`, which
//! MFLO sign-extends into a 64-bit register (VR4300 User's Manual, MFLO in 64-bit mode), so the
//! exact sum (at most `n * 2^30`) accumulates in one 64-bit register with no carry code. The
//! softmax between them is the spec's own (`kernels::softmax`).
//!
//! # Measured (`cargo xtask bench`, rows `attention_128x4h` of bench-results/kernels.csv)
//!
//! One call at the demo models' shape (d_model 128, 4 heads), the mean over contexts 1..22 (a
//! token's positions 0..21), timed in the bench ROM's `attention_check`:
//!
//! | | spec (LLVM) | this |
//! |---|---|---|
//! | cen64 CPU cycles | 108,202 | 49,708 |
//! | mupen64plus instructions (CountPerOp=1) | 53,807 | 24,592 |
//!
//! (The spec's cen64 figure moves between 100,000 and 108,000 with where its code lands: it is
//! not in n64-rt's hot-code group. This code, step by step: everything through [`dot`], 64,162
//! cycles and 40,017 instructions; the outputs 16 dims at a time, 50,236 and 30,371; the
//! scores unrolled, 49,708 and 24,592.) A call does ~1,470 score terms (5 instructions each)
//! and ~1,470 output terms (4 each); the rest is the softmax, the calls and, in cen64, the K and
//! V cache lines (16 a position each, 46 cycles a fill: ~17,000 cycles a call), which is why
//! cen64 gains so little from the unrolled scores.
//!
//! On a console the MULT's latency adds to each term (cen64 charges none; the VR4300 User's
//! Manual gives a 32-bit MULT 5 cycles), about 4 cycles more per term.
//!
//! The 64-bit sum lives in a register only inside one `asm!` block and leaves it as two 32-bit
//! halves: rspnn's ROMs run with interrupts off (n64-rt); a handler that saved only the low
//! 32 bits of the registers would corrupt it (libdragon's saves all 64).

use kernels::attention::{attention as spec_attention, AttentionShape};
use kernels::fixed::{sat16, VMULF_ROUND};
use kernels::softmax::softmax;
use kernels::KernelError;

/// The attention output for `q` against the first `n_pos` slots of `k_cache` and `v_cache`,
/// bit-identical to `kernels::attention::attention` (same arguments, same result, same errors).
pub fn attention(
    shape: AttentionShape,
    q: &[i16],
    k_cache: &[i16],
    v_cache: &[i16],
    scores: &mut [i16],
    probs: &mut [i16],
    out: &mut [i16],
) -> Result<(), KernelError> {
    let AttentionShape {
        d_model,
        n_heads,
        slot_stride,
        n_pos,
    } = shape;
    let valid = n_heads != 0
        && d_model != 0
        && d_model % n_heads == 0
        && slot_stride >= d_model
        && n_pos != 0
        && q.len() == d_model
        && out.len() == d_model
        && k_cache.len().min(v_cache.len()) >= (n_pos - 1) * slot_stride + d_model
        && scores.len().min(probs.len()) >= n_pos;
    if !valid {
        // Bad arguments: the spec's own checks give the error, so the errors are the spec's.
        return spec_attention(shape, q, k_cache, v_cache, scores, probs, out);
    }
    let hd = d_model / n_heads;
    let scores = &mut scores[..n_pos];
    let probs = &mut probs[..n_pos];
    for h in 0..n_heads {
        let lo = h * hd;
        let qh = &q[lo..lo + hd];
        for (j, s) in scores.iter_mut().enumerate() {
            let kj = &k_cache[j * slot_stride + lo..][..hd];
            *s = chain(match (qh.try_into(), kj.try_into()) {
                (Ok(q32), Ok(k32)) => dot32(q32, k32), // the demo models' head width
                _ => dot(qh, kj, 1),
            });
        }
        softmax(scores, probs)?;
        if hd % WEIGHTED_DIMS == 0 {
            // 16 dims at a time, position by position (one p times 16 consecutive v).
            for d in (lo..lo + hd).step_by(WEIGHTED_DIMS) {
                let mut sums = [0i64; WEIGHTED_DIMS];
                weighted(probs, &v_cache[d..], slot_stride, &mut sums);
                for (o, &sum) in out[d..d + WEIGHTED_DIMS].iter_mut().zip(&sums) {
                    *o = chain(sum);
                }
            }
        } else {
            for (d, o) in out[lo..lo + hd].iter_mut().enumerate() {
                let column = &v_cache[lo + d..][..(n_pos - 1) * slot_stride + 1];
                *o = chain(dot(probs, column, slot_stride));
            }
        }
    }
    Ok(())
}

/// `sum_i a[i] * b[i]` over 32 terms, exact: an attention score at the demo models' head
/// width, unrolled (no loop, no pointer steps: 5 instructions a term against [`dot`]'s 9).
#[inline]
pub fn dot32(a: &[i16; 32], b: &[i16; 32]) -> i64 {
    #[cfg(target_arch = "mips")]
    {
        dot32_mips(a, b)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        dot_portable(a, b, 1)
    }
}

/// One term of [`dot32_mips`]: MULT of the pair loaded two terms before, MFLO into the `b`
/// register, the 64-bit DADDU, then the two LHs of the pair two terms on (`$la`, `$lb`): every
/// load is four or more instructions ahead of its MULT, and two instructions separate each MFLO
/// from the next MULT (the HI/LO hazard).
#[cfg(target_arch = "mips")]
macro_rules! dot32_term {
    ($a:literal, $b:literal, $la:expr, $lb:expr) => {
        concat!(
            "mult ",
            $a,
            ", ",
            $b,
            "\n",
            "mflo ",
            $b,
            "\n",
            "daddu {acc}, {acc}, ",
            $b,
            "\n",
            $la,
            "\n",
            $lb,
            "\n",
        )
    };
}

/// [`dot32`] on the VR4300: 32 terms of LH, LH, MULT, MFLO, DADDU with immediate offsets.
#[cfg(target_arch = "mips")]
#[inline(never)] // HI/LO cannot be named as clobbers; a call boundary makes them free (o32)
fn dot32_mips(a: &[i16; 32], b: &[i16; 32]) -> i64 {
    let (hi, lo): (u32, u32);
    // SAFETY: reads the 32 halfwords of `a` and of `b`; writes only its register operands and
    // HI/LO (see above).
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat", // LLVM may give an operand $at; every line is one machine instruction
            "daddu {acc}, $0, $0",
            "lh   {qa}, 0({pa})",
            "lh   {ka}, 0({pb})",
            "lh   {qb}, 2({pa})",
            "lh   {kb}, 2({pb})",
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 4, "({pa})"), concat!("lh {ka}, ", 4, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 6, "({pa})"), concat!("lh {kb}, ", 6, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 8, "({pa})"), concat!("lh {ka}, ", 8, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 10, "({pa})"), concat!("lh {kb}, ", 10, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 12, "({pa})"), concat!("lh {ka}, ", 12, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 14, "({pa})"), concat!("lh {kb}, ", 14, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 16, "({pa})"), concat!("lh {ka}, ", 16, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 18, "({pa})"), concat!("lh {kb}, ", 18, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 20, "({pa})"), concat!("lh {ka}, ", 20, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 22, "({pa})"), concat!("lh {kb}, ", 22, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 24, "({pa})"), concat!("lh {ka}, ", 24, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 26, "({pa})"), concat!("lh {kb}, ", 26, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 28, "({pa})"), concat!("lh {ka}, ", 28, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 30, "({pa})"), concat!("lh {kb}, ", 30, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 32, "({pa})"), concat!("lh {ka}, ", 32, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 34, "({pa})"), concat!("lh {kb}, ", 34, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 36, "({pa})"), concat!("lh {ka}, ", 36, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 38, "({pa})"), concat!("lh {kb}, ", 38, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 40, "({pa})"), concat!("lh {ka}, ", 40, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 42, "({pa})"), concat!("lh {kb}, ", 42, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 44, "({pa})"), concat!("lh {ka}, ", 44, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 46, "({pa})"), concat!("lh {kb}, ", 46, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 48, "({pa})"), concat!("lh {ka}, ", 48, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 50, "({pa})"), concat!("lh {kb}, ", 50, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 52, "({pa})"), concat!("lh {ka}, ", 52, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 54, "({pa})"), concat!("lh {kb}, ", 54, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 56, "({pa})"), concat!("lh {ka}, ", 56, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 58, "({pa})"), concat!("lh {kb}, ", 58, "({pb})")),
            dot32_term!("{qa}", "{ka}", concat!("lh {qa}, ", 60, "({pa})"), concat!("lh {ka}, ", 60, "({pb})")),
            dot32_term!("{qb}", "{kb}", concat!("lh {qb}, ", 62, "({pa})"), concat!("lh {kb}, ", 62, "({pb})")),
            dot32_term!("{qa}", "{ka}", "nop", "nop"), // two before the last MULT: HI/LO hazard
            dot32_term!("{qb}", "{kb}", "", ""),
            "dsra32 {hi}, {acc}, 0",
            "sll  {lo}, {acc}, 0",
            ".set pop",
            pa = in(reg) a.as_ptr(),
            pb = in(reg) b.as_ptr(),
            acc = out(reg) _,
            qa = out(reg) _,
            ka = out(reg) _,
            qb = out(reg) _,
            kb = out(reg) _,
            hi = out(reg) hi,
            lo = out(reg) lo,
            options(nostack, readonly),
        );
    }
    ((hi as i64) << 32) | lo as i64
}

/// How many output dims [`weighted`] sums at once (16 64-bit sums in registers).
pub const WEIGHTED_DIMS: usize = 16;

/// `sums[d] = sum_j p[j] * v[j * stride + d]` for `d` in `0..16`, exact: the attention's
/// output sums for 16 consecutive dims. `v` must hold `(p.len() - 1) * stride + 16` elements
/// (checked); `p` is not empty.
#[inline]
pub fn weighted(p: &[i16], v: &[i16], stride: usize, sums: &mut [i64; WEIGHTED_DIMS]) {
    assert!(!p.is_empty() && stride >= WEIGHTED_DIMS);
    assert!(v.len() >= (p.len() - 1) * stride + WEIGHTED_DIMS);
    #[cfg(target_arch = "mips")]
    {
        weighted_mips(p, v, stride, sums)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        weighted_portable(p, v, stride, sums)
    }
}

/// [`weighted`]'s definition (portable form: what the assembly must match).
pub fn weighted_portable(p: &[i16], v: &[i16], stride: usize, sums: &mut [i64; WEIGHTED_DIMS]) {
    for (d, sum) in sums.iter_mut().enumerate() {
        *sum = dot_portable(p, &v[d..], stride);
    }
}

/// One term of [`weighted_mips`]: dim `$d`'s product `p * v[$d]` (v in `$t`, loaded two
/// instructions before), MFLO into `$t`, the 64-bit DADDU into `$a`, then the LH of dim
/// `$d + 2` into `$t` (`$next`, or nothing for the last two dims): two instructions separate
/// each MFLO from the next MULT (the HI/LO hazard).
#[cfg(target_arch = "mips")]
macro_rules! weighted_term {
    ($t:literal, $a:literal, $next:expr) => {
        concat!(
            "mult {p}, ",
            $t,
            "\n",
            "mflo ",
            $t,
            "\n",
            "daddu ",
            $a,
            ", ",
            $a,
            ", ",
            $t,
            "\n",
            $next,
            "\n",
        )
    };
}

/// [`weighted`] on the VR4300: per position, one LH of `p`, then per dim LH, MULT, MFLO and a
/// 64-bit DADDU into one of 16 sums held in registers for the whole call (4 instructions a
/// term, against 9 for [`dot`] a dim at a time), and `v` advances a slot.
#[cfg(target_arch = "mips")]
#[inline(never)] // HI/LO cannot be named as clobbers; a call boundary makes them free (o32)
fn weighted_mips(p: &[i16], v: &[i16], stride: usize, sums: &mut [i64; WEIGHTED_DIMS]) {
    // SAFETY: reads p.len() halfwords of `p` and, per position, 16 halfwords of `v` at
    // `j * stride`, within the lengths `weighted` asserted; writes the 16 i64 of `sums`
    // (8-byte aligned), its register operands and HI/LO (see above).
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat", // LLVM may give an operand $at; every line is one machine instruction
            "daddu {a0}, $0, $0",
            "daddu {a1}, $0, $0",
            "daddu {a2}, $0, $0",
            "daddu {a3}, $0, $0",
            "daddu {a4}, $0, $0",
            "daddu {a5}, $0, $0",
            "daddu {a6}, $0, $0",
            "daddu {a7}, $0, $0",
            "daddu {a8}, $0, $0",
            "daddu {a9}, $0, $0",
            "daddu {a10}, $0, $0",
            "daddu {a11}, $0, $0",
            "daddu {a12}, $0, $0",
            "daddu {a13}, $0, $0",
            "daddu {a14}, $0, $0",
            "daddu {a15}, $0, $0",
            "1:",
            "lh    {p}, 0({pp})",
            "lh    {ta}, 0({pv})",
            "lh    {tb}, 2({pv})",
            "addiu {pp}, {pp}, 2",
            weighted_term!("{ta}", "{a0}", "lh {ta}, 4({pv})"),
            weighted_term!("{tb}", "{a1}", "lh {tb}, 6({pv})"),
            weighted_term!("{ta}", "{a2}", "lh {ta}, 8({pv})"),
            weighted_term!("{tb}", "{a3}", "lh {tb}, 10({pv})"),
            weighted_term!("{ta}", "{a4}", "lh {ta}, 12({pv})"),
            weighted_term!("{tb}", "{a5}", "lh {tb}, 14({pv})"),
            weighted_term!("{ta}", "{a6}", "lh {ta}, 16({pv})"),
            weighted_term!("{tb}", "{a7}", "lh {tb}, 18({pv})"),
            weighted_term!("{ta}", "{a8}", "lh {ta}, 20({pv})"),
            weighted_term!("{tb}", "{a9}", "lh {tb}, 22({pv})"),
            weighted_term!("{ta}", "{a10}", "lh {ta}, 24({pv})"),
            weighted_term!("{tb}", "{a11}", "lh {tb}, 26({pv})"),
            weighted_term!("{ta}", "{a12}", "lh {ta}, 28({pv})"),
            weighted_term!("{tb}", "{a13}", "lh {tb}, 30({pv})"),
            weighted_term!("{ta}", "{a14}", "addu {pv}, {pv}, {sb}"),
            weighted_term!("{tb}", "{a15}", "nop"),
            "bne   {pp}, {pend}, 1b",
            "nop",
            "sd    {a0}, 0({out})",
            "sd    {a1}, 8({out})",
            "sd    {a2}, 16({out})",
            "sd    {a3}, 24({out})",
            "sd    {a4}, 32({out})",
            "sd    {a5}, 40({out})",
            "sd    {a6}, 48({out})",
            "sd    {a7}, 56({out})",
            "sd    {a8}, 64({out})",
            "sd    {a9}, 72({out})",
            "sd    {a10}, 80({out})",
            "sd    {a11}, 88({out})",
            "sd    {a12}, 96({out})",
            "sd    {a13}, 104({out})",
            "sd    {a14}, 112({out})",
            "sd    {a15}, 120({out})",
            ".set pop",
            pp = inout(reg) p.as_ptr() => _,
            pend = in(reg) p.as_ptr().add(p.len()),
            pv = inout(reg) v.as_ptr() => _,
            sb = in(reg) stride * 2,
            out = in(reg) sums.as_mut_ptr(),
            p = out(reg) _,
            ta = out(reg) _,
            tb = out(reg) _,
            a0 = out(reg) _,
            a1 = out(reg) _,
            a2 = out(reg) _,
            a3 = out(reg) _,
            a4 = out(reg) _,
            a5 = out(reg) _,
            a6 = out(reg) _,
            a7 = out(reg) _,
            a8 = out(reg) _,
            a9 = out(reg) _,
            a10 = out(reg) _,
            a11 = out(reg) _,
            a12 = out(reg) _,
            a13 = out(reg) _,
            a14 = out(reg) _,
            a15 = out(reg) _,
            options(nostack),
        );
    }
}

/// The VMULF chain's result from its exact sum of products `sum a b`:
/// `sat16((0x8000 + 2 sum) >> 16)`, as `kernels::fixed::vmulf_chain` computes it.
#[inline]
fn chain(sum: i64) -> i16 {
    sat16((VMULF_ROUND + 2 * sum) >> 16)
}

/// `sum_i a[i] * b[i * stride]`, exact. `b` must hold `(a.len() - 1) * stride + 1` elements
/// (checked); `a` is not empty.
#[inline]
pub fn dot(a: &[i16], b: &[i16], stride: usize) -> i64 {
    assert!(!a.is_empty() && stride > 0 && b.len() > (a.len() - 1) * stride);
    #[cfg(target_arch = "mips")]
    {
        dot_mips(a, b, stride)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        dot_portable(a, b, stride)
    }
}

/// [`dot`]'s definition (portable form: what the assembly must match).
pub fn dot_portable(a: &[i16], b: &[i16], stride: usize) -> i64 {
    a.iter()
        .zip(b.iter().step_by(stride))
        .map(|(&x, &y)| x as i64 * y as i64)
        .sum()
}

/// [`dot`] on the VR4300: per term `LH`, `LH`, two pointer steps, `MULT`, `MFLO`, the count
/// and the branch, with the 64-bit `DADDU` in the branch's delay slot: 9 instructions. The
/// `LH`s are three instructions ahead of their `MULT` (no load interlock), and the next MULT
/// is six after the MFLO (the R4000-family HI/LO hazard wants two).
#[cfg(target_arch = "mips")]
#[inline(never)] // HI/LO cannot be named as clobbers; a call boundary makes them free (o32)
fn dot_mips(a: &[i16], b: &[i16], stride: usize) -> i64 {
    let (hi, lo): (u32, u32);
    // SAFETY: reads a.len() halfwords of `a` and as many of `b`, `stride` apart, within the
    // lengths `dot` asserted; writes only its register operands and HI/LO (see above).
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat",
            "daddu {acc}, $0, $0",
            "1:",
            "lh    {ta}, 0({pa})",
            "lh    {tb}, 0({pb})",
            "addiu {pa}, {pa}, 2",
            "addu  {pb}, {pb}, {sb}",
            "mult  {ta}, {tb}",
            "mflo  {tp}",
            "addiu {n}, {n}, -1",
            "bnez  {n}, 1b",
            "daddu {acc}, {acc}, {tp}", // delay slot
            "dsra32 {hi}, {acc}, 0",
            "sll   {lo}, {acc}, 0",
            ".set pop",
            pa = inout(reg) a.as_ptr() => _,
            pb = inout(reg) b.as_ptr() => _,
            sb = in(reg) stride * 2,
            n = inout(reg) a.len() => _,
            acc = out(reg) _,
            ta = out(reg) _,
            tb = out(reg) _,
            tp = out(reg) _,
            hi = out(reg) hi,
            lo = out(reg) lo,
            options(nostack, readonly),
        );
    }
    ((hi as i64) << 32) | lo as i64
}
