# The probe's assembly (see main.c): the o64 entry point of the Rust probe, the o32 thunks of
# the probe's own C helpers, and an o32 caller that puts canaries right above its 16-byte
# argument home area.
#include <regdef.h>
#include "../../libdragon/o64_thunk.inc"
#include "../../libdragon-sys/c/o32_to_o64_thunk.inc"
    .set noreorder
    .text

# main.c (o64) -> the Rust probe (o32).
    o64_to_o32_thunk ldsys_probe_abi, ldsys_probe_abi_o32
    o64_to_o32_thunk ldsys_probe_rspq, ldsys_probe_rspq_o32

# Rust (o32) -> the C helpers of main.c (o64), with the macro libdragon-sys's thunks use.
    o32_to_o64_thunk o32_probe_sum_varargs, probe_sum_varargs
    o32_to_o64_thunk o32_probe_sum6, probe_sum6, 2
    o32_to_o64_thunk o32_probe_u64, probe_u64, 0, 1
    o32_to_o64_thunk o32_probe_u64_arg, probe_u64_arg

# uint32_t o32_canary_call(fn, uint32_t *result): an o32 caller, as LLVM lays one out: the
# 16-byte home area its callee may write at 0(sp), then its own data from 16(sp), here 32 canary
# bytes (16..47). Calls fn(3, 0x11, 0x22, 0x33), stores fn's result in *result and returns how
# many of the 32 canary bytes are intact.
    .globl o32_canary_call
    .ent o32_canary_call
o32_canary_call:
    addiu sp, sp, -64
    sw ra, 56(sp)
    sw a1, 52(sp)
    move t9, a0
    li t0, 0xA5A55A5A
    sw t0, 16(sp)
    sw t0, 20(sp)
    sw t0, 24(sp)
    sw t0, 28(sp)
    sw t0, 32(sp)
    sw t0, 36(sp)
    sw t0, 40(sp)
    sw t0, 44(sp)
    li a0, 3
    li a1, 0x11
    li a2, 0x22
    jalr t9
    li a3, 0x33
    lw a1, 52(sp)
    sw v0, 0(a1)
    # Count the intact canary bytes.
    li v0, 0
    addiu t1, sp, 16
    addiu t2, sp, 48
    li t3, 0xA5
    li t4, 0x5A
1:  lbu t0, 0(t1)
    # Canary byte i is 0xA5 for (i & 3) < 2, else 0x5A (big-endian 0xA5A55A5A).
    andi t5, t1, 2
    bnez t5, 2f
    move t6, t4
    move t6, t3
2:  bne t0, t6, 3f
    nop
    addiu v0, v0, 1
3:  addiu t1, t1, 1
    bne t1, t2, 1b
    nop
    lw ra, 56(sp)
    jr ra
    addiu sp, sp, 64
    .end o32_canary_call
