//! The Rust side of `examples/libdragon-sys-probe`: o32 code (LLVM, as all of rspnn's Rust)
//! that uses libdragon through `libdragon-sys`, and measures what the o32 -> o64 thunks fix by
//! calling the example's o64 C helpers both through a thunk and directly. See ../main.c.
#![no_std]

use core::ptr::{addr_of_mut, read_volatile, write_volatile};
use libdragon_sys as ld;
use ld::rsp_ucode_t;

/// What the probe found, printed by main.c (its `report_t`, field for field).
#[repr(C)]
pub struct Report {
    registered: u32,
    sum: u32,
    syncpoint_reached: u32,
    sum_after_highpri: u32,
    unregistered: u32,
    cache_writeback: u32,
    cache_invalidate: u32,
    cache_writeback_invalidate: u32,
    rom_header: u32,
    rom_title_ok: u32,
    ticks_increasing: u32,
    canary_thunk: u32,
    varargs_thunk: u32,
    canary_direct: u32,
    varargs_direct: u32,
    sum6_thunk: u32,
    sum6_direct_correct: u32,
    u64_thunk_high: u32,
    u64_thunk_low: u32,
    u64_direct_correct: u32,
    u64_arg_thunk: u32,
    u64_arg_direct: u32,
}

// The example's C helpers (main.c, o64): through their thunks (probe_asm.S) and, to show what
// goes wrong without one, directly.
extern "C" {
    fn o32_probe_sum6(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32) -> u32;
    fn probe_sum6(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32) -> u32;
    fn o32_probe_u64(high: u32, low: u32) -> u64;
    fn probe_u64(high: u32, low: u32) -> u64;
    fn o32_probe_u64_arg(x: u64, y: u32) -> u32;
    fn probe_u64_arg(x: u64, y: u32) -> u32;
    fn o32_probe_sum_varargs(count: u32, ...) -> u32;
    fn probe_sum_varargs(count: u32, ...) -> u32;
    /// probe_asm.S: calls `f(3, 0x11, 0x22, 0x33)` from an o32 frame with 32 canary bytes
    /// right above its 16-byte home area; stores f's result, returns the intact canary bytes.
    fn o32_canary_call(f: *const u8, result: *mut u32) -> u32;
}

/// The probe's overlay commands (rsp_ldsys_probe.S).
const CMD_ADD: u32 = 0;
const CMD_ADD4: u32 = 1;

/// 16-byte aligned, as data_cache_hit_invalidate requires (one data-cache line is 16 bytes).
#[repr(C, align(16))]
struct Line([u32; 4]);
static mut BUFFER: Line = Line([0; 4]);

/// The uncached (KSEG1) alias of a KSEG0 address.
fn uncached<T>(p: *mut T) -> *mut T {
    ((p as usize) | 0x2000_0000) as *mut T
}

/// The ABI measurements, the cache helpers and PI DMA (nothing of rspq); fills `report`.
///
/// # Safety
/// `report` is writable.
#[no_mangle]
pub unsafe extern "C" fn ldsys_probe_abi_o32(report: *mut Report) -> u32 {
    // SAFETY: the caller's contract.
    let r = unsafe { &mut *report };
    unsafe {
        // Cache helpers: what the CPU wrote reaches RDRAM only after a writeback; what RDRAM
        // holds is seen through the cache only after an invalidate.
        let cached = addr_of_mut!(BUFFER.0) as *mut u32;
        let raw = uncached(cached);
        ld::data_cache_hit_writeback_invalidate(cached.cast(), 16);
        write_volatile(cached, 0x1234_5678);
        ld::data_cache_hit_writeback(cached.cast(), 16);
        r.cache_writeback = (read_volatile(raw) == 0x1234_5678) as u32;
        write_volatile(raw, 0x9abc_def0);
        ld::ldsys_data_cache_hit_invalidate(cached.cast(), 16);
        r.cache_invalidate = (read_volatile(cached) == 0x9abc_def0) as u32;
        write_volatile(cached.add(1), 0x0bad_cafe);
        ld::data_cache_hit_writeback_invalidate(cached.cast(), 16);
        r.cache_writeback_invalidate = (read_volatile(raw.add(1)) == 0x0bad_cafe) as u32;

        // PI DMA from the cartridge: the ROM header's first word, then (async) its title.
        ld::dma_read(cached.cast(), 0x1000_0000, 16);
        r.rom_header = read_volatile(cached);
        // dma_read_async leaves the cache to the caller: no dirty line may be written back over
        // the DMA's data, and no stale line may hide it.
        ld::data_cache_hit_writeback_invalidate(cached.cast(), 16);
        ld::dma_read_async(cached.cast(), 0x1000_0020, 16);
        ld::dma_wait();
        ld::ldsys_data_cache_hit_invalidate(cached.cast(), 16);
        let title = core::slice::from_raw_parts(cached as *const u8, 16);
        r.rom_title_ok = (title.starts_with(b"libdragon-sys pr")) as u32;

        // A 64-bit result through the thunk: two readings of the tick counter.
        let t0 = ld::get_ticks();
        for i in 0..1000u32 {
            core::hint::black_box(i);
        }
        let t1 = ld::get_ticks();
        r.ticks_increasing = (t1 > t0 && t1 - t0 < 1 << 32) as u32;

        // The home area: canaries above an o32 caller's 16 bytes.
        let mut result = 0;
        r.canary_thunk = o32_canary_call(o32_probe_sum_varargs as *const u8, &mut result);
        r.varargs_thunk = result;
        r.canary_direct = o32_canary_call(probe_sum_varargs as *const u8, &mut result);
        r.varargs_direct = result;

        // Arguments beyond the fourth.
        r.sum6_thunk = o32_probe_sum6(1, 2, 3, 4, 5, 6);
        r.sum6_direct_correct = (core::hint::black_box(probe_sum6(1, 2, 3, 4, 5, 6)) == 91) as u32;

        // A 64-bit argument: (0x01234567 * 3 + 0x89abcdef + 5) mod 2^32 = 0x8d159e29 both ways.
        r.u64_arg_thunk = o32_probe_u64_arg(0x0123_4567_89ab_cdef, 5);
        r.u64_arg_direct = probe_u64_arg(0x0123_4567_89ab_cdef, 5);

        // A 64-bit result.
        let value = o32_probe_u64(0x0123_4567, 0x89ab_cdef);
        r.u64_thunk_high = (value >> 32) as u32;
        r.u64_thunk_low = value as u32;
        r.u64_direct_correct =
            (core::hint::black_box(probe_u64(0x0123_4567, 0x89ab_cdef)) == 0x0123_4567_89ab_cdef)
                as u32;
    }
    0
}

/// rspq through libdragon-sys: registration, commands, syncpoints, the high-priority queue,
/// the overlay's state; fills `report`.
///
/// # Safety
/// `ucode` is the probe's overlay (`DEFINE_RSP_UCODE`), `report` writable; rspq is started.
#[no_mangle]
pub unsafe extern "C" fn ldsys_probe_rspq_o32(ucode: *mut rsp_ucode_t, report: *mut Report) -> u32 {
    // SAFETY: the caller's contract.
    let r = unsafe { &mut *report };
    unsafe {
        // rspq: register, commands of 1, 5 (six shim arguments), 4 (words) and 2 words.
        let ovl = ld::rspq_overlay_register(ucode);
        r.registered = (ovl != 0) as u32;
        ld::ldsys_rspq_write_1(ovl, CMD_ADD, 5);
        ld::ldsys_rspq_write_4(ovl, CMD_ADD4, 1, 2, 3, 4); // + 1 + 4 + 12 + 32
        let words = [10u32, 20, 30, 40];
        ld::ldsys_rspq_write_words(ovl, CMD_ADD4, words.as_ptr(), 4); // + 490
        ld::rspq_write(ovl, CMD_ADD, &[7]);
        let sync = ld::rspq_syncpoint_new();
        ld::rspq_flush();
        ld::rspq_syncpoint_wait(sync);
        r.syncpoint_reached = ld::rspq_syncpoint_check(sync) as u32;
        let state = ld::rspq_overlay_get_state(ucode) as *const u32;
        r.sum = read_volatile(state);
        // The high-priority queue.
        ld::rspq_highpri_begin();
        ld::rspq_write(ovl, CMD_ADD, &[1000]);
        ld::rspq_highpri_end();
        ld::rspq_highpri_sync();
        ld::rspq_wait();
        r.sum_after_highpri = read_volatile(ld::rspq_overlay_get_state(ucode) as *const u32);
        ld::rspq_overlay_unregister(ovl);
        r.unregistered = 1;

    }
    0
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
