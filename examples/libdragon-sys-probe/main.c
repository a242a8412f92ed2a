// libdragon-sys-probe: Rust compiled by LLVM (o32) calling libdragon compiled by GCC (o64)
// through libdragon-sys's thunks, on the VR4300, run in cen64.
//
// main (o64) starts rspq and calls the Rust probe (rust/src/lib.rs) through o64 -> o32
// thunks. The probe registers this program's rspq overlay (rsp_ldsys_probe.S) through
// libdragon-sys, writes commands of 1 and 4 words (one through the 6-argument shim
// ldsys_rspq_write_4: two arguments beyond a0-a3, one through ldsys_rspq_write_words), waits on a syncpoint, runs a command on the high-priority queue,
// reads the overlay's state back, exercises the cache helpers and PI DMA, and measures what the
// thunks fix against direct calls of the o64 helpers below: the home area (canaries right
// above an o32 caller's 16 bytes), arguments beyond the fourth (LLVM: in $8-$11; o64: on the
// stack), a 64-bit result (LLVM: through a hidden pointer; o64: in v0), and a 64-bit argument
// (one register in both). It fills `report`,
// which main prints; `cargo xtask libdragon-sdk --check` compares every line.
#include <libdragon.h>
#include <stdarg.h>

DEFINE_RSP_UCODE(rsp_ldsys_probe);

// The probe's report, filled by Rust (rust/src/lib.rs, `Report`: the same order).
typedef struct {
    uint32_t registered, sum, syncpoint_reached, sum_after_highpri, unregistered;
    uint32_t cache_writeback, cache_invalidate, cache_writeback_invalidate;
    uint32_t rom_header, rom_title_ok, ticks_increasing;
    uint32_t canary_thunk, varargs_thunk, canary_direct, varargs_direct;
    uint32_t sum6_thunk, sum6_direct_correct;
    uint32_t u64_thunk_high, u64_thunk_low, u64_direct_correct;
    uint32_t u64_arg_thunk, u64_arg_direct;
} report_t;

// Rust, through the o64 -> o32 thunks of probe_asm.S.
uint32_t ldsys_probe_abi(report_t *report);
uint32_t ldsys_probe_rspq(rsp_ucode_t *ucode, report_t *report);

// o64 helpers the probe calls through o32_to_o64_thunk and directly.
// A variadic function: GCC's o64 va_start stores a1-a3 into the caller's home area (8..31).
uint32_t probe_sum_varargs(uint32_t count, ...)
{
    va_list args;
    va_start(args, count);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < count; i++)
        sum += va_arg(args, uint32_t);
    va_end(args);
    return sum;
}

// Six arguments: o64 reads the fifth and sixth from 32(sp) and 40(sp) of its caller's frame;
// LLVM passes them in $8 and $9.
uint32_t probe_sum6(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

// A 64-bit result: in v0 alone under o64; LLVM expects it stored through a hidden pointer.
uint64_t probe_u64(uint32_t high, uint32_t low)
{
    return ((uint64_t)high << 32) | low;
}

// A 64-bit argument: in one register under o64, and (measured) under LLVM's convention too.
uint32_t probe_u64_arg(uint64_t x, uint32_t y)
{
    return (uint32_t)(x >> 32) * 3 + (uint32_t)x + y;
}

int main(void)
{
    debug_init_isviewer();
    rspq_init();
    debugf("libdragon-sys-probe: main reached\n");
    static report_t r;
    // First what needs no rspq: the thunks against direct calls, the cache helpers, PI DMA.
    uint32_t status = ldsys_probe_abi(&r);
    debugf("probe abi status=%lu\n", (unsigned long)status);
    debugf("thunk: canary bytes kept=%lu/32 varargs sum=%lu\n", (unsigned long)r.canary_thunk,
           (unsigned long)r.varargs_thunk);
    debugf("direct: canary bytes kept=%lu/32 varargs sum=%lu\n", (unsigned long)r.canary_direct,
           (unsigned long)r.varargs_direct);
    debugf("thunk: sum6=%lu; direct: sum6 correct=%lu\n", (unsigned long)r.sum6_thunk,
           (unsigned long)r.sum6_direct_correct);
    debugf("thunk: u64=%08lx%08lx; direct: u64 correct=%lu\n", (unsigned long)r.u64_thunk_high,
           (unsigned long)r.u64_thunk_low, (unsigned long)r.u64_direct_correct);
    debugf("thunk: u64 argument=%08lx; direct: u64 argument=%08lx\n",
           (unsigned long)r.u64_arg_thunk, (unsigned long)r.u64_arg_direct);
    debugf("cache writeback=%lu invalidate=%lu writeback_invalidate=%lu\n",
           (unsigned long)r.cache_writeback, (unsigned long)r.cache_invalidate,
           (unsigned long)r.cache_writeback_invalidate);
    debugf("dma rom header=%08lx title=%lu ticks increasing=%lu\n", (unsigned long)r.rom_header,
           (unsigned long)r.rom_title_ok, (unsigned long)r.ticks_increasing);
    // Then rspq.
    status = ldsys_probe_rspq(&rsp_ldsys_probe, &r);
    debugf("probe rspq status=%lu\n", (unsigned long)status);
    debugf("overlay registered=%lu sum=%lu syncpoint reached=%lu\n", (unsigned long)r.registered,
           (unsigned long)r.sum, (unsigned long)r.syncpoint_reached);
    debugf("highpri sum=%lu unregistered=%lu\n", (unsigned long)r.sum_after_highpri,
           (unsigned long)r.unregistered);
    debugf("@@rspnn:done@@\n");
    while (1) {}
}
