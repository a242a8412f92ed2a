# The o64 side of the libdragon ABI probe (main.c), assembled as libdragon code is (o64).
# Register numbers: s0-s7 are $16-$23, s8 is $30.
#include <regdef.h>
#include "../../libdragon/o64_thunk.inc"
    .set noreorder
    .text

# uint32_t abi_call_keeping(fn, uint64_t out[9]): loads 64-bit values into s0-s7, calls
# fn(5, 7) as an o64 caller does (its 32-byte argument home area at 0(sp)), then stores what
# s0-s7 hold after the call and v0 into out[0..9]. Its own caller's s0-s7 are kept with sd/ld.
    .globl abi_call_keeping
    .ent abi_call_keeping
abi_call_keeping:
    daddiu sp, sp, -112
    sd ra, 96(sp)
    sd s0, 32(sp)
    sd s1, 40(sp)
    sd s2, 48(sp)
    sd s3, 56(sp)
    sd s4, 64(sp)
    sd s5, 72(sp)
    sd s6, 80(sp)
    sd s7, 88(sp)
    sd a1, 104(sp)
    move t9, a0
    dli s0, 0x1111111180000010
    dli s1, 0x2222222200000011
    dli s2, 0x3333333380000012
    dli s3, 0x4444444400000013
    dli s4, 0x5555555580000014
    dli s5, 0x6666666600000015
    dli s6, 0x7777777780000016
    dli s7, 0x0123456700000017
    li a0, 5
    jalr t9
    li a1, 7
    ld a1, 104(sp)
    sd s0, 0(a1)
    sd s1, 8(a1)
    sd s2, 16(a1)
    sd s3, 24(a1)
    sd s4, 32(a1)
    sd s5, 40(a1)
    sd s6, 48(a1)
    sd s7, 56(a1)
    sd v0, 64(a1)
    ld s0, 32(sp)
    ld s1, 40(sp)
    ld s2, 48(sp)
    ld s3, 56(sp)
    ld s4, 64(sp)
    ld s5, 72(sp)
    ld s6, 80(sp)
    ld s7, 88(sp)
    ld ra, 96(sp)
    jr ra
    daddiu sp, sp, 112
    .end abi_call_keeping

# uint32_t abi_probe_o64(uint32_t a, uint32_t b): the thunk an o64 caller calls instead of the
# o32 function. It keeps all 64 bits of the o64 callee-saved registers s0-s8 (o32 code saves and
# restores only their low 32 bits, sign-extended back), gives the o32 callee the 16-byte argument
# home area it may write at 0(sp), and passes a0/a1 and v0 through unchanged (32-bit values,
# sign-extended in 64-bit registers, mean the same in both ABIs).
    o64_to_o32_thunk abi_probe_o64, abi_probe
