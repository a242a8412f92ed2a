# The o64 entry points of rspnn's Rust functions (libdragon's GCC calls with o64; LLVM's Rust is
# o32). docs/libdragon.md "The ABI" measured what each thunk fixes on the console CPU: it keeps
# all 64 bits of the o64 callee-saved registers s0-s8 (o32 code saves only their low halves,
# with sw/lw) and gives the o32 callee the 16-byte argument home area it may write at 0(sp).
# Arguments and results are 32-bit only (pointers, uint32_t, int), in a0-a3 and v0, which mean
# the same in both ABIs (sign-extended in 64-bit registers).
#include <regdef.h>
    .set noreorder
    .text

# Defines `name`, which calls `name`_o32 with a0-a3 unchanged and returns its v0.
.macro o64_to_o32_thunk name
    .globl \name
    .ent \name
\name:
    daddiu sp, sp, -96
    sd ra, 88(sp)
    sd s0, 16(sp)
    sd s1, 24(sp)
    sd s2, 32(sp)
    sd s3, 40(sp)
    sd s4, 48(sp)
    sd s5, 56(sp)
    sd s6, 64(sp)
    sd s7, 72(sp)
    sd s8, 80(sp)
    jal \name\()_o32
    nop
    ld s0, 16(sp)
    ld s1, 24(sp)
    ld s2, 32(sp)
    ld s3, 40(sp)
    ld s4, 48(sp)
    ld s5, 56(sp)
    ld s6, 64(sp)
    ld s7, 72(sp)
    ld s8, 80(sp)
    ld ra, 88(sp)
    jr ra
    daddiu sp, sp, 96
    .end \name
.endm

    o64_to_o32_thunk rspnn_ref_matvec_q8
