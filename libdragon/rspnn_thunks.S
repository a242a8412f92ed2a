# The o64 entry points of rspnn's Rust functions (libdragon's GCC calls with o64; LLVM's Rust is
# o32). docs/libdragon.md "The ABI" measured what each thunk fixes on the console CPU: it keeps
# all 64 bits of the o64 callee-saved registers s0-s8 (o32 code saves only their low halves,
# with sw/lw) and gives the o32 callee the 16-byte argument home area it may write at 0(sp).
# Arguments and results are 32-bit only (pointers, uint32_t, int), in a0-a3 and v0, which mean
# the same in both ABIs (sign-extended in 64-bit registers).
#include <regdef.h>
#include "o64_thunk.inc"
    .set noreorder
    .text


    o64_to_o32_thunk rspnn_ref_matvec_q8, rspnn_ref_matvec_q8_o32
    o64_to_o32_thunk rspnn_ref_matvec_q4, rspnn_ref_matvec_q4_o32
    o64_to_o32_thunk rspnn_model_check_o64, rspnn_model_check_o32
    o64_to_o32_thunk rspnn_model_init_o64, rspnn_model_init_o32
    o64_to_o32_thunk rspnn_generate_begin_o64, rspnn_generate_begin_o32
    o64_to_o32_thunk rspnn_generate_next_o64, rspnn_generate_next_o32
    o64_to_o32_thunk rspnn_error_detail, rspnn_error_detail_o32
