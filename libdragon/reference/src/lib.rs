//! The Rust half of rspnn's C API for libdragon programs, compiled by LLVM (o32): the
//! generator ([`generate`]: model load and token-by-token generation, every matvec handed back
//! to the C side, which queues it on the RSP) and the scalar reference `kernels::matvec`. C
//! (o64) calls these only through the thunks in `libdragon/rspnn_thunks.S` (docs/libdragon.md
//! "The ABI"): at most four 32-bit arguments and a 32-bit result, the subset on which o32 and
//! o64 agree. This Rust never calls C, by construction: it has no `extern` block.
// std only for the host unit tests (`cargo test --lib`, what `cargo xtask test` runs).
#![cfg_attr(not(test), no_std)]

pub mod generate;

use kernels::matvec::{matvec, BlockMatrix, WeightBits};

/// `rspnn_q8_matrix_t` of include/rspnn.h: four 32-bit fields in both ABIs.
#[repr(C)]
pub struct Q8Matrix {
    pub records: *const u8,
    pub rows: u32,
    pub cols: u32,
    pub out_shift: u32,
}

/// Error codes, shared with include/rspnn.h (`RSPNN_ERR_*`).
pub const ERR_SHAPE: i32 = -1;
pub const ERR_NULL: i32 = -4;

/// `y = W x` with the scalar reference; 0, or `ERR_SHAPE` for a shape `kernels` refuses.
///
/// # Safety
/// `m` points at a valid matrix whose `records` hold `rows/8 * cols/32` Q8 records, `x` at
/// `cols` and `y` at `rows` int16.
#[no_mangle]
pub unsafe extern "C" fn rspnn_ref_matvec_q8_o32(
    m: *const Q8Matrix,
    x: *const i16,
    y: *mut i16,
) -> i32 {
    ref_matvec(WeightBits::Q8, m, x, y)
}

/// The same for `rspnn_q4_matrix_t` (the same four fields) and Q4 records.
///
/// # Safety
/// As [`rspnn_ref_matvec_q8_o32`], with `rows/8 * cols/32` Q4 records.
#[no_mangle]
pub unsafe extern "C" fn rspnn_ref_matvec_q4_o32(
    m: *const Q8Matrix,
    x: *const i16,
    y: *mut i16,
) -> i32 {
    ref_matvec(WeightBits::Q4, m, x, y)
}

unsafe fn ref_matvec(bits: WeightBits, m: *const Q8Matrix, x: *const i16, y: *mut i16) -> i32 {
    if m.is_null() || x.is_null() || y.is_null() {
        return ERR_NULL;
    }
    let m = &*m;
    if m.records.is_null() || m.out_shift > 255 {
        return ERR_SHAPE;
    }
    let (rows, cols) = (m.rows as usize, m.cols as usize);
    // Checked before the slice is made (BlockMatrix::new checks it again).
    if rows == 0 || rows % 8 != 0 || rows > kernels::matvec::MAX_ROWS {
        return ERR_SHAPE;
    }
    if cols == 0 || cols % 32 != 0 || cols > kernels::matvec::MAX_COLS {
        return ERR_SHAPE;
    }
    let bytes = kernels::matvec::matrix_bytes(bits, rows, cols);
    let records = core::slice::from_raw_parts(m.records, bytes);
    let Ok(matrix) = BlockMatrix::new(bits, rows, cols, m.out_shift as u8, records) else {
        return ERR_SHAPE;
    };
    let x = core::slice::from_raw_parts(x, cols);
    let y = core::slice::from_raw_parts_mut(y, rows);
    match matvec(&matrix, x, y) {
        Ok(_) => 0,
        Err(_) => ERR_SHAPE,
    }
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
