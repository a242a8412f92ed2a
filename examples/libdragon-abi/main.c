// libdragon-abi: C compiled by libdragon's GCC (o64) calling Rust compiled by LLVM (o32) on the
// VR4300, run in cen64. The caller (abi_call.S) holds 64-bit values in s0-s7 across the call,
// as o64 code may. Called directly, the o32 callee saves and restores s0-s7 with 32-bit
// sw/lw and hands back only the sign-extended low halves; through the thunk abi_probe_o64
// (abi_call.S: saves s0-s8 with sd/ld, gives the o32 callee the 16-byte home area it may write),
// all 64 bits survive. `cargo xtask libdragon-sdk --check` compares every line.
#include <libdragon.h>

uint32_t abi_probe(uint32_t a, uint32_t b);     // Rust, o32 (probe/src/lib.rs)
uint32_t abi_probe_o64(uint32_t a, uint32_t b); // the thunk in abi_call.S
uint32_t abi_call_keeping(void *fn, uint64_t out[9]);

// What abi_call_keeping loads into s0-s7 (low halves alternately negative and positive).
static const uint64_t loaded[8] = {
    0x1111111180000010ull, 0x2222222200000011ull, 0x3333333380000012ull, 0x4444444400000013ull,
    0x5555555580000014ull, 0x6666666600000015ull, 0x7777777780000016ull, 0x0123456700000017ull,
};

static void report(const char *name, void *fn)
{
    uint64_t out[9];
    abi_call_keeping(fn, out);
    int kept = 0;
    for (int i = 0; i < 8; i++) {
        if (out[i] == loaded[i])
            kept++;
        else
            debugf("%s: s%d=%016llx, was %016llx\n", name, i, (unsigned long long)out[i],
                   (unsigned long long)loaded[i]);
    }
    debugf("%s: return=%llu s0-s7 kept=%d/8\n", name, (unsigned long long)out[8], kept);
}

int main(void)
{
    debug_init_isviewer();
    report("direct", abi_probe);
    report("thunk", abi_probe_o64);
    debugf("@@rspnn:done@@\n");
    while (1) {}
}
