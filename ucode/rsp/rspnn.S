# rspnn resident RSP program: the command dispatcher and the DMA commands; the kernels are
# included at the end (matvec.inc). Assembled by ucode/build.rs with rsp-asm.
#
# DMEM map: layout.inc (the one definition; BOOT, KVEC, CMDBUF, MV_HG, MV_SPILL, ACT, TILE0/1).
#
# Execution model: the host puts a command list in RDRAM, writes its address to
# Boot.cmd_list, and starts the RSP at the entry point (IMEM 0). The dispatcher fetches
# CMDBUF_BYTES of commands at a time into CMDBUF, jumps to the routine of each opcode through
# `op_table` (IMEM), and stops at END with Boot.status = STATUS_DONE, or at a bad command with
# an error status and the command's RDRAM address in Boot.fault_cmd. Activations stay in DMEM
# between commands: a command's DMEM homes are its arguments.
#
# GPR conventions (every routine):
#   gp   dispatcher: DMEM address of the current command (inside CMDBUF)    -- do not write
#   k1   dispatcher: RDRAM address of the current command                  -- do not write
#   k0, sp  reserved for the dispatcher                                    -- do not write
#   a0   on entry to a command routine: = gp (the command's DMEM address)
#   everything else (at v0 v1 a0-a3 t0-t9 s0-s8 ra) is scratch for the running command.
# Vector registers and the accumulator: scratch for the running command; nothing survives a
# command. KVEC holds the shared vector constants (layout.inc "the vector constants").
#
# A command routine ends with `j cmd_next` (the dispatcher advances to the next command), or
# `j cmd_fail` with t0 = an error status.
#
# Cycles: about 45 per command for the dispatch plus one 64-byte command fetch (~40 cycles of
# DMA) per 4 commands.

#include "layout.inc"

        .set noreorder

        .data
        # Boot block: the host fills cmd_list before starting the RSP.
boot_block:
        .word 0, STATUS_RUNNING, 0, 0
        # KVEC (layout.inc): lanes 0..2 fixed, 4..7 rewritten per command.
kvec:   .half 0xF000, 16, 0, 0, 1, 0, 0, 0
data_end:
        # (src/layout.rs checks that boot_block, kvec and data_end match BOOT, KVEC and CMDBUF.)

        .text
        .balign 8
# Entry (IMEM 0): fetch the first commands.
boot:
        lw      k1, %lo(BOOT + Boot.cmd_list)($zero)
        sw      $zero, %lo(BOOT + Boot.status)($zero)
        sw      $zero, %lo(BOOT + Boot.fault_cmd)($zero)
        sw      $zero, %lo(BOOT + Boot.overlay_loads)($zero)
        li      k0, 0                           # no overlay loaded, none known (overlay.inc)
        li      sp, 0

# Fetch CMDBUF_BYTES of commands from RDRAM k1 into CMDBUF and run the first.
cmd_fetch:
        li      t0, CMDBUF
        mtc0    t0, COP0_DMA_SPADDR
        mtc0    k1, COP0_DMA_RAMADDR
        li      t0, CMDBUF_BYTES - 1
        mtc0    t0, COP0_DMA_READ
        li      gp, CMDBUF
1:      mfc0    t0, COP0_DMA_BUSY
        bnez    t0, 1b
        nop

# Run the command at gp (RDRAM address k1).
cmd_dispatch:
        lbu     t0, CmdEnd.op(gp)
        sltiu   t1, t0, OP_COUNT
        beqz    t1, cmd_fail
        li      t0, STATUS_BAD_OPCODE           # delay slot: the status if we fail
        lbu     t0, CmdEnd.op(gp)
        sll     t0, t0, 3                       # op_table entries are 8 bytes
        addiu   t0, t0, %lo(op_table)
        jr      t0
        move    a0, gp

# Command routines by opcode: one `j routine; nop` pair each (IMEM, so no DMEM is spent on it).
# To add a command: an OP_ constant in layout.inc, a line here, the routine.
        .balign 8
op_table:
        j       cmd_end
        nop
        j       cmd_dma_in
        nop
        j       cmd_dma_out
        nop
        j       cmd_matvec
        nop
        j       ovl_enter                       # overlaid commands: overlay.inc
        ori     t9, $zero, (OVL_EDGE << 12) | cmd_step
        j       ovl_enter
        ori     t9, $zero, (OVL_EDGE << 12) | cmd_embed
        j       ovl_enter
        ori     t9, $zero, (OVL_NORM << 12) | cmd_norm
        j       ovl_enter
        ori     t9, $zero, (OVL_SCORES << 12) | cmd_scores
        j       ovl_enter
        ori     t9, $zero, (OVL_VALUES << 12) | cmd_values
        j       ovl_enter
        ori     t9, $zero, (OVL_NORM << 12) | cmd_relu
        j       ovl_enter
        ori     t9, $zero, (OVL_NORM << 12) | cmd_add
        j       ovl_enter
        ori     t9, $zero, (OVL_EDGE << 12) | cmd_argmax
        j       cmd_overlays
        nop
op_table_end:

# Command routines jump here when done.
cmd_next:
        addiu   gp, gp, CMD_BYTES
        addiu   k1, k1, CMD_BYTES
        li      t0, CMDBUF + CMDBUF_BYTES
        bne     gp, t0, cmd_dispatch
        nop
        j       cmd_fetch
        nop

# Stop with status t0, naming the current command.
cmd_fail:
        sw      t0, %lo(BOOT + Boot.status)($zero)
        sw      k1, %lo(BOOT + Boot.fault_cmd)($zero)
        break

# ---- END -------------------------------------------------------------------------------------
cmd_end:
        li      t0, STATUS_DONE
        sw      t0, %lo(BOOT + Boot.status)($zero)
        break

# ---- DMA_IN / DMA_OUT ------------------------------------------------------------------------
# Checks (RSP-FACTS "Timing": 8-byte aligned addresses, length field = bytes - 1, at most 4,096
# bytes per row): len in 8..4096, dmem, len and rdram multiples of 8, dmem + len <= DMEM_BUDGET,
# and for DMA_IN dmem >= ACT (the fixed area, CMDBUF included, belongs to the ucode; DMA_OUT may
# read any of it, which is useful for inspecting state).
# Waits for the transfer, so the data is there (or gone) when the next command runs.
cmd_dma_in:
        lhu     t0, CmdDma.dmem(a0)
        sltiu   t3, t0, ACT
        bnez    t3, dma_bad
        li      t9, 0                           # 0 = RDRAM -> DMEM
        b       dma_common
        nop
cmd_dma_out:
        li      t9, 1                           # 1 = DMEM -> RDRAM
dma_common:
        lhu     t0, CmdDma.dmem(a0)
        lhu     t1, CmdDma.len(a0)
        lw      t2, CmdDma.rdram(a0)
        or      t3, t0, t1
        or      t3, t3, t2
        andi    t3, t3, 7
        bnez    t3, dma_bad
        addiu   t4, t1, -1                      # delay slot: the length register value
        sltiu   t3, t4, 4096                    # len - 1 < 4096 <=> 1 <= len <= 4096
        beqz    t3, dma_bad
        addu    t3, t0, t1
        sltiu   t3, t3, DMEM_BUDGET + 1
        beqz    t3, dma_bad
        nop
        mtc0    t0, COP0_DMA_SPADDR
        bnez    t9, 1f
        mtc0    t2, COP0_DMA_RAMADDR
        b       2f
        mtc0    t4, COP0_DMA_READ
1:      mtc0    t4, COP0_DMA_WRITE
2:      mfc0    t0, COP0_DMA_BUSY
        bnez    t0, 2b
        nop
        j       cmd_next
        nop
dma_bad:
        j       cmd_fail
        li      t0, STATUS_BAD_DMA


#include "matvec.inc"
#include "helpers.inc"
#include "attend_common.inc"
#include "overlay.inc"

        .balign 8
text_end:

# ---- overlays (overlay.inc): linked at text_end, loaded by ovl_enter, in id order ------------
        .overlay scores
#include "attend_scores.inc"
ovl_scores_end:

        .overlay values
#include "attend_values.inc"
ovl_values_end:

        .overlay norm
#include "norm.inc"
#include "elementwise.inc"
ovl_norm_end:

        .overlay edge
#include "step.inc"
#include "argmax.inc"
ovl_edge_end:
        .text
