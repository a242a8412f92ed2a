//! `rspnn_model_*` / `rspnn_generate_*` of include/rspnn.h, the Rust half: one model and one
//! generator at a time (a game answers one prompt at a time), kept in a static.
//!
//! The C half (libdragon/rspnn.c) owns everything libdragon: it allocates the workspace, queues
//! each [`Event::Matvec`] on the RSP with `rspnn_matvec_q8_submit` or `rspnn_matvec_q4_submit`
//! (as the job's `bits` say), polls an rspq syncpoint and
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
pub const ERR_MODEL: i32 = -7;
pub const ERR_UNSUPPORTED: i32 = -8;
pub const ERR_NO_MODEL: i32 = -10;
pub const ERR_PROMPT: i32 = -11;
pub const ERR_GENERATE: i32 = -12;
pub const DONE: i32 = 257;
/// Internal to the two halves: the job is filled, queue it (rspnn.c).
pub const MATVEC: i32 = 258;

/// The most columns rspnn's overlay holds in DMEM (include/rspnn.h RSPNN_MAX_COLS).
const OVERLAY_MAX_COLS: usize = 512;

/// `rspnn_matvec_job_t` of rspnn.c: its first four fields are `rspnn_q8_matrix_t` (the same
/// as `rspnn_q4_matrix_t`); all fields are 32 bits in both ABIs.
#[repr(C)]
pub struct MatvecJob {
    pub records: *const u8,
    pub rows: u32,
    pub cols: u32,
    pub out_shift: u32,
    pub x: *const i16,
    pub y: *mut i16,
    /// The matrix's weight bits, 8 or 4: which overlay command rspnn.c queues.
    pub bits: u32,
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
    let mut w = Buf {
        b,
        n: 0,
        cut: false,
    };
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

/// Parses and checks `size` bytes at `file` for the overlay: Q8 or Q4 weights (the overlay has a
/// command for each), every matrix at most OVERLAY_MAX_COLS wide, every record 8-byte aligned
/// for the RSP's DMA.
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
        set_detail(format_args!(
            "a matrix's records are not 8-byte aligned in the file"
        ));
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
        set_detail(format_args!(
            "nothing is being generated (rspnn_generate_begin)"
        ));
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
                bits: match m.bits() {
                    WeightBits::Q8 => 8,
                    WeightBits::Q4 => 4,
                },
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

/// The C half's protocol, run on the host with `kernels::matvec` computing each job through
/// its raw pointers (what the RSP does in RDRAM): the calls, codes and pointers rspnn.c uses.
#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernels::matvec::{matvec, BlockMatrix};
    use rspnn_model::backend::Backend;
    use rspnn_model::runner::ScalarRunner;
    use rspnn_model::window::Staggered;
    use std::vec::Vec;

    /// The statics are shared: one test at a time.
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn model() -> Vec<u64> {
        model_file("nibble-4l-q8.rspw")
    }

    /// models/NAME, 8-byte aligned.
    fn model_file(name: &str) -> Vec<u64> {
        let path = std::format!("{}/../../models/{name}", env!("CARGO_MANIFEST_DIR"));
        aligned_words(&std::fs::read(path).unwrap())
    }

    /// `bytes` in 8-byte aligned memory, as the C side must hand a model over.
    fn aligned_words(bytes: &[u8]) -> Vec<u64> {
        let mut words = std::vec![0u64; bytes.len().div_ceil(8)];
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                words.as_mut_ptr() as *mut u8,
                bytes.len(),
            )
        };
        words
    }

    fn detail() -> std::string::String {
        let p = rspnn_error_detail_o32();
        unsafe { std::ffi::CStr::from_ptr(p as *const core::ffi::c_char) }
            .to_string_lossy()
            .into_owned()
    }

    /// rspnn_generate_poll's loop, with the product computed where the job's pointers say.
    /// Returns the bytes and the set of job bits seen (bit 8 for Q8 jobs, bit 4 for Q4 ones).
    fn answer(prompt: &[u8], max: u32) -> (Vec<u8>, u32) {
        assert_eq!(
            unsafe { rspnn_generate_begin_o32(prompt.as_ptr(), prompt.len() as u32, max, 1) },
            0
        );
        let mut out = Vec::new();
        let mut seen = 0u32;
        loop {
            let mut job = MatvecJob {
                records: core::ptr::null(),
                rows: 0,
                cols: 0,
                out_shift: 0,
                x: core::ptr::null(),
                y: core::ptr::null_mut(),
                bits: 0,
            };
            match unsafe { rspnn_generate_next_o32(&mut job) } {
                MATVEC => unsafe {
                    let (rows, cols) = (job.rows as usize, job.cols as usize);
                    assert_eq!(
                        job.y as usize % 16,
                        0,
                        "y must be 16-byte aligned for the RSP"
                    );
                    assert_eq!(job.x as usize % 8, 0);
                    assert_eq!(job.records as usize % 8, 0);
                    seen |= 1 << job.bits;
                    // rspnn.c picks the command by bits; so does this stand-in for the RSP.
                    let bits = match job.bits {
                        8 => WeightBits::Q8,
                        4 => WeightBits::Q4,
                        b => panic!("job bits {b}"),
                    };
                    let bytes = kernels::matvec::matrix_bytes(bits, rows, cols);
                    let rec = core::slice::from_raw_parts(job.records, bytes);
                    let m = BlockMatrix::new(bits, rows, cols, job.out_shift as u8, rec).unwrap();
                    let x = core::slice::from_raw_parts(job.x, cols).to_vec();
                    let y = core::slice::from_raw_parts_mut(job.y, rows);
                    matvec(&m, &x, y).unwrap();
                },
                DONE => return (out, seen),
                b @ 0..=255 => out.push(b as u8),
                e => panic!("code {e}: {}", detail()),
            }
        }
    }

    /// Loads models/NAME through the C protocol and checks that its answers to two prompts are
    /// the plain scalar runner's (`rspnn generate`'s), every job of `bits`.
    fn same_bytes_as_the_scalar_runner(name: &str, want_seen: u32, need_bytes: Option<u32>) {
        let words = model_file(name);
        let file = words.as_ptr() as *const u8;
        let size = std::fs::metadata(std::format!(
            "{}/../../models/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .len() as u32;
        let mut need = 0u32;
        assert_eq!(
            unsafe { rspnn_model_check_o32(file, size, &mut need) },
            0,
            "{}",
            detail()
        );
        if let Some(n) = need_bytes {
            assert_eq!(need, n);
        }
        assert!(need > 0);
        let mut ws = std::vec![0u128; need as usize / 16];
        assert_eq!(
            unsafe { rspnn_model_init_o32(file, size, ws.as_mut_ptr() as *mut u8, need) },
            0
        );
        let view =
            ModelView::parse(unsafe { core::slice::from_raw_parts(file, size as usize) }).unwrap();
        let n = workspace_len(view.dims());
        let mut plain = Staggered::new(
            ScalarRunner::new(view, std::vec![0i16; n]).unwrap(),
            ScalarRunner::new(view, std::vec![0i16; n]).unwrap(),
            view.dims().ctx,
        );
        for prompt in ["Q: Who are you?\nA:", "Q: What is the RSP?\nA:"] {
            plain.reset();
            let mut next = 0;
            for &b in prompt.as_bytes() {
                next = plain.step(b, DecodeMask::All).unwrap();
            }
            let mut want = Vec::new();
            while next != b'\n' && want.len() < 64 {
                want.push(next);
                next = plain.step(next, DecodeMask::All).unwrap();
            }
            assert!(want.len() > 4, "{name} {prompt:?}: {want:?}");
            let (got, seen) = answer(prompt.as_bytes(), 64);
            assert_eq!(got, want, "{name} prompt {prompt:?}");
            assert_eq!(seen, want_seen, "{name}: the job kinds");
        }
    }

    #[test]
    fn the_c_protocol_gives_rspnn_generates_bytes() {
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        same_bytes_as_the_scalar_runner("nibble-4l-q8.rspw", 1 << 8, Some(2 * 134_144));
    }

    #[test]
    fn a_q4_model_gives_rspnn_generates_bytes_with_q4_jobs() {
        // models/nibble-2l-q4.rspw: the layers' products are Q4 jobs (RSPNN_CMD_MATVEC_Q4 on
        // the RSP) and the tied head's a Q8 one (the embedding stays Q8 in a Q4 file).
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        same_bytes_as_the_scalar_runner("nibble-2l-q4.rspw", 1 << 4 | 1 << 8, None);
    }

    #[test]
    fn bad_models_and_calls_are_refused_with_the_reason() {
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let words = model();
        let file = words.as_ptr() as *const u8;
        let mut need = 0u32;
        assert_eq!(
            unsafe { rspnn_model_check_o32(file, 1000, &mut need) },
            ERR_MODEL
        );
        assert!(
            detail().starts_with("model of 1000 bytes: file truncated"),
            "{}",
            detail()
        );
        assert_eq!(
            unsafe { rspnn_model_check_o32(file.add(4), 1000, &mut need) },
            ERR_ALIGN
        );
        assert!(detail().contains("8-byte aligned"), "{}", detail());
        // A flipped weight byte: the CRC-32 refuses it.
        let mut bad = words.clone();
        bad[100] ^= 1;
        let bad_ptr = bad.as_ptr() as *const u8;
        assert_eq!(
            unsafe { rspnn_model_check_o32(bad_ptr, 919_680, &mut need) },
            ERR_MODEL
        );
        assert!(detail().contains("checksum mismatch"), "{}", detail());
        // A workspace too small is refused; then nothing is loaded.
        let mut ws = std::vec![0u128; 100];
        let r = unsafe { rspnn_model_init_o32(file, 919_680, ws.as_mut_ptr() as *mut u8, 1600) };
        assert_eq!(r, ERR_ALIGN);
        assert!(detail().contains("needs 268288 bytes"), "{}", detail());
        let p = b"Q";
        assert_eq!(
            unsafe { rspnn_generate_begin_o32(p.as_ptr(), 1, 4, 0) },
            ERR_NO_MODEL
        );
    }
    /// A valid Q8 model whose FFN is 1,024 wide: its second FFN matrix has 1,024 columns, more
    /// x than the overlay's DMEM holds.
    struct WideFfn;
    impl rspnn_model::convert::SourceModel for WideFfn {
        fn dims(&self) -> rspnn_model::dims::ModelDims {
            rspnn_model::dims::ModelDims {
                n_layers: 1,
                d_model: 32,
                n_heads: 1,
                d_ff: 1024,
                vocab: 32,
                ctx: 8,
            }
        }
        fn bits(&self) -> WeightBits {
            WeightBits::Q8
        }
        fn emb_q(&self, token: usize, d: usize) -> i8 {
            ((token * 7 + d * 3) % 17) as i8 - 8
        }
        fn emb_scale(&self) -> (u16, u16) {
            (1, 64)
        }
        fn q(&self, _: usize, _: MatrixKind, row: usize, col: usize) -> i8 {
            ((row * 5 + col * 11) % 23) as i8 - 11
        }
        fn scale_bits(&self, _: usize, _: MatrixKind, _: usize, _: usize) -> u16 {
            0x2000 // float16 2^-7
        }
    }

    #[test]
    fn a_model_wider_than_the_overlays_dmem_is_refused_at_load() {
        let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = rspnn_model::convert::to_rspw_vec(&WideFfn).unwrap();
        // The model itself is valid: the host runs it.
        assert!(ModelView::parse(&bytes).is_ok());
        let words = aligned_words(&bytes);
        let mut need = 0u32;
        let r = unsafe {
            rspnn_model_check_o32(words.as_ptr() as *const u8, bytes.len() as u32, &mut need)
        };
        assert_eq!(r, ERR_UNSUPPORTED);
        assert!(detail().starts_with("a 1024-column matrix"), "{}", detail());
    }
}
