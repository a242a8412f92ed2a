//! `rspnn_model_*` / `rspnn_generate_*` of include/rspnn.h, the Rust half: one model and one
//! generator at a time (a game answers one prompt at a time), kept in a static.
//!
//! The C half (libdragon/rspnn.c) owns everything libdragon: it allocates the workspace, queues
//! each [`Event::Matvec`] on the RSP with `rspnn_matvec_q8_submit`, polls an rspq syncpoint and
//! only then calls [`rspnn_generate_next_o32`] again, so the CPU never touches the product's
//! output while the RSP writes it.

use core::cell::UnsafeCell;
use core::fmt::Write;
use kernels::matvec::WeightBits;
use rspnn_model::backend::DecodeMask;
use rspnn_model::error::MatrixKind;
use rspnn_model::generate::{Cache, Event, GenerateError, Generator};
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::workspace_len;

/// Codes shared with include/rspnn.h.
pub const ERR_ALIGN: i32 = -2;
pub const ERR_NULL: i32 = -4;
pub const ERR_MODEL: i32 = -5;
pub const ERR_UNSUPPORTED: i32 = -6;
pub const ERR_NO_MODEL: i32 = -8;
pub const ERR_PROMPT: i32 = -9;
pub const ERR_GENERATE: i32 = -10;
pub const DONE: i32 = 257;
/// Internal to the two halves: the job is filled, queue it (rspnn.c).
pub const MATVEC: i32 = 258;

/// The most columns rspnn's overlay holds in DMEM (include/rspnn.h RSPNN_MAX_COLS).
const OVERLAY_MAX_COLS: usize = 512;

/// `rspnn_matvec_job_t` of rspnn.c: its first four fields are `rspnn_q8_matrix_t`; all fields
/// are 32 bits in both ABIs.
#[repr(C)]
pub struct MatvecJob {
    pub records: *const u8,
    pub rows: u32,
    pub cols: u32,
    pub out_shift: u32,
    pub x: *const i16,
    pub y: *mut i16,
}

struct State {
    gen: Generator<'static, &'static mut [i16]>,
    /// The event `begin` produced, handed out by the next `next`.
    first: Option<Event<'static>>,
    generating: bool,
}

/// The static state; only touched through the `extern "C"` functions, which the C API calls
/// from the game's one thread (documented in include/rspnn.h).
struct Cell<T>(UnsafeCell<T>);
// SAFETY: the N64 C API is single-threaded by contract (include/rspnn.h); nothing here is
// touched from an interrupt.
unsafe impl<T> Sync for Cell<T> {}

static STATE: Cell<Option<State>> = Cell(UnsafeCell::new(None));
/// The last error's full text, NUL-terminated.
static DETAIL: Cell<[u8; 256]> = Cell(UnsafeCell::new([0; 256]));

/// Writes `args` into DETAIL; a message longer than the buffer ends in "..." (never cut
/// silently).
fn set_detail(args: core::fmt::Arguments<'_>) {
    struct Buf<'a> {
        b: &'a mut [u8; 256],
        n: usize,
        cut: bool,
    }
    impl Write for Buf<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            for &c in s.as_bytes() {
                if self.n < self.b.len() - 4 {
                    self.b[self.n] = c;
                    self.n += 1;
                } else {
                    self.cut = true;
                }
            }
            Ok(())
        }
    }
    // SAFETY: single-threaded (see Cell).
    let b = unsafe { &mut *DETAIL.0.get() };
    let mut w = Buf { b, n: 0, cut: false };
    let _ = w.write_fmt(args);
    let (n, cut) = (w.n, w.cut);
    if cut {
        b[n..n + 3].copy_from_slice(b"...");
        b[n + 3] = 0;
    } else {
        b[n] = 0;
    }
}

/// The last error's full text (`rspnn_error_detail`); empty before any error.
#[no_mangle]
pub extern "C" fn rspnn_error_detail_o32() -> *const u8 {
    DETAIL.0.get() as *const u8
}

/// Parses and checks `size` bytes at `file` for the overlay: Q8 weights, every matrix at most
/// OVERLAY_MAX_COLS wide, every record 8-byte aligned for the RSP's DMA.
unsafe fn check(file: *const u8, size: u32) -> Result<ModelView<'static>, i32> {
    if file.is_null() {
        set_detail(format_args!("the model pointer is NULL"));
        return Err(ERR_NULL);
    }
    if file as usize % 8 != 0 {
        set_detail(format_args!(
            "the model is at {:#x}: the RSP's DMA needs it 8-byte aligned",
            file as usize
        ));
        return Err(ERR_ALIGN);
    }
    // SAFETY: the caller gives `size` readable bytes that outlive the model (rspnn.h).
    let bytes = core::slice::from_raw_parts(file, size as usize);
    let view = ModelView::parse(bytes).map_err(|e| {
        set_detail(format_args!("model of {size} bytes: {e}"));
        ERR_MODEL
    })?;
    let d = *view.dims();
    if view.info().bits != WeightBits::Q8 {
        set_detail(format_args!(
            "the model has Q4 weights: rspnn's rspq overlay runs Q8 only"
        ));
        return Err(ERR_UNSUPPORTED);
    }
    let widest = d.d_model.max(d.d_ff);
    if widest > OVERLAY_MAX_COLS {
        set_detail(format_args!(
            "a {widest}-column matrix: rspnn's overlay holds at most {OVERLAY_MAX_COLS} columns \
             of x in rspq's 3,584 bytes of overlay DMEM"
        ));
        return Err(ERR_UNSUPPORTED);
    }
    let emb = view.embedding().map_err(|e| {
        set_detail(format_args!("{e}"));
        ERR_MODEL
    })?;
    let mut aligned = emb.records().as_ptr() as usize % 8 == 0;
    for l in 0..d.n_layers {
        for k in MatrixKind::ALL {
            let m = view.matrix(l, k).map_err(|e| {
                set_detail(format_args!("{e}"));
                ERR_MODEL
            })?;
            aligned &= m.records().as_ptr() as usize % 8 == 0;
        }
    }
    if !aligned {
        set_detail(format_args!("a matrix's records are not 8-byte aligned in the file"));
        return Err(ERR_MODEL);
    }
    Ok(view)
}

/// Bytes of one lane's workspace, rounded to 16 (the RSP writes y in 16-byte cache lines).
fn lane_bytes(view: &ModelView<'_>) -> usize {
    (workspace_len(view.dims()) * 2 + 15) & !15
}

/// `rspnn_model_check`: 0 and the workspace bytes the model needs in `*ws_bytes`, or an error.
///
/// # Safety
/// `file` points at `size` readable bytes; `ws_bytes` is writable.
#[no_mangle]
pub unsafe extern "C" fn rspnn_model_check_o32(
    file: *const u8,
    size: u32,
    ws_bytes: *mut u32,
) -> i32 {
    if ws_bytes.is_null() {
        set_detail(format_args!("ws_bytes is NULL"));
        return ERR_NULL;
    }
    match check(file, size) {
        Ok(view) => {
            *ws_bytes = (2 * lane_bytes(&view)) as u32;
            0
        }
        Err(e) => e,
    }
}

/// `rspnn_model_load`'s Rust half: checks the model again and makes the generator over it
/// with the two staggered lanes' workspaces in `ws` (what `rspnn generate` runs by default).
///
/// # Safety
/// `file`/`size` as above, staying valid and unchanged while the model is loaded; `ws` points
/// at `ws_bytes` writable bytes, 16-byte aligned, owned by rspnn until the next load.
#[no_mangle]
pub unsafe extern "C" fn rspnn_model_init_o32(
    file: *const u8,
    size: u32,
    ws: *mut u8,
    ws_bytes: u32,
) -> i32 {
    // SAFETY: single-threaded (see Cell).
    let state = &mut *STATE.0.get();
    *state = None;
    let view = match check(file, size) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let lane = lane_bytes(&view);
    if ws.is_null() {
        set_detail(format_args!("the workspace pointer is NULL"));
        return ERR_NULL;
    }
    if ws as usize % 16 != 0 || (ws_bytes as usize) < 2 * lane {
        set_detail(format_args!(
            "workspace of {ws_bytes} bytes at {:#x}: needs {} bytes, 16-byte aligned",
            ws as usize,
            2 * lane
        ));
        return ERR_ALIGN;
    }
    let n = workspace_len(view.dims());
    // SAFETY: the two lanes are disjoint 16-byte aligned parts of the caller's buffer.
    let ws0 = core::slice::from_raw_parts_mut(ws as *mut i16, n);
    let ws1 = core::slice::from_raw_parts_mut(ws.add(lane) as *mut i16, n);
    match Generator::new(view, ws0, ws1, Cache::Staggered, DecodeMask::All) {
        Ok(gen) => {
            *state = Some(State {
                gen,
                first: None,
                generating: false,
            });
            0
        }
        Err(e) => {
            set_detail(format_args!("{e}"));
            ERR_MODEL
        }
    }
}

/// `rspnn_generate_begin`: starts answering `len` bytes at `prompt` (copied), up to `max`
/// bytes, stopping before a generated newline when `stop_at_newline` is not 0.
///
/// # Safety
/// `prompt` points at `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn rspnn_generate_begin_o32(
    prompt: *const u8,
    len: u32,
    max: u32,
    stop_at_newline: u32,
) -> i32 {
    // SAFETY: single-threaded (see Cell).
    let Some(state) = (*STATE.0.get()).as_mut() else {
        set_detail(format_args!("no model is loaded (rspnn_model_load)"));
        return ERR_NO_MODEL;
    };
    state.generating = false;
    if prompt.is_null() {
        set_detail(format_args!("the prompt is NULL"));
        return ERR_NULL;
    }
    let p = core::slice::from_raw_parts(prompt, len as usize);
    match state.gen.begin(p, max as usize, stop_at_newline != 0) {
        Ok(ev) => {
            state.first = Some(ev);
            state.generating = true;
            0
        }
        Err(e) => {
            set_detail(format_args!("{e}"));
            match e {
                GenerateError::Model(_) => ERR_GENERATE,
                _ => ERR_PROMPT,
            }
        }
    }
}

/// The generator's next event: a byte (0..=255), DONE, or MATVEC with `*job` filled (the
/// caller computes it into the workspace before calling again), or an error.
///
/// # Safety
/// `job` is writable.
#[no_mangle]
pub unsafe extern "C" fn rspnn_generate_next_o32(job: *mut MatvecJob) -> i32 {
    // SAFETY: single-threaded (see Cell).
    let Some(state) = (*STATE.0.get()).as_mut() else {
        set_detail(format_args!("no model is loaded (rspnn_model_load)"));
        return ERR_NO_MODEL;
    };
    if !state.generating {
        set_detail(format_args!("nothing is being generated (rspnn_generate_begin)"));
        return ERR_PROMPT;
    }
    let ev = match state.first.take() {
        Some(ev) => Ok(ev),
        None => state.gen.resume(),
    };
    match ev {
        Ok(Event::Byte(b)) => b as i32,
        Ok(Event::Done) => DONE,
        Ok(Event::Matvec { lane, job: j }) => {
            if job.is_null() {
                set_detail(format_args!("job is NULL"));
                state.generating = false;
                return ERR_NULL;
            }
            let ws = state.gen.workspace_mut(lane).as_mut_ptr();
            let m = j.matrix;
            *job = MatvecJob {
                records: m.records().as_ptr(),
                rows: m.rows() as u32,
                cols: m.cols() as u32,
                out_shift: m.out_shift() as u32,
                x: ws.add(j.x),
                y: ws.add(j.y),
            };
            MATVEC
        }
        Err(e) => {
            set_detail(format_args!("{e}"));
            state.generating = false;
            ERR_GENERATE
        }
    }
}
