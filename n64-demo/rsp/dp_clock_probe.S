# dp_clock_probe: the bench ROM's RSP-side timing ucode (not rspnn's ucode). It reads the DP
# clock (RSP COP0 register 12, DPC_CLOCK: a 24-bit counter of RCP cycles, 62.5 MHz; RSP-FACTS
# "Timing", libdragon rsp_queue.inc/rsp_mixer.S read it the same way and mask differences to 24
# bits) around
#   * a calibration loop of known length (CAL_ITERS iterations of 4 independent VMUDH, a
#     counter decrement and a taken branch): rsp-sim's cycles for it are compiled into the ROM,
#     so a console shows whether the clock runs at the rate assumed, and an emulator whose
#     DP clock does not advance reads 0 here, which the CPU reports as "dp_clock=not running";
#   * SP DMAs RDRAM -> DMEM of 256, 1,088 (one Q8 tile), 2,048 and 4,096 bytes issued by the
#     RSP itself: one transfer, then two queued back to back (the second written while the first
#     runs: RSP-FACTS "Timing", one transfer may be queued), each timed from just before the
#     length write that starts it to the first poll that sees the engine idle.
# The DMAs overwrite DMEM (up to all 4 KiB), so every figure stays in a register until the end.
#
# In:  DMEM word 0 (DATA's `rdram_src`): the RDRAM address of a 4,096-byte source (8-aligned).
# Out: DMEM words 0..8 (`results`): calibration, then one transfer of each size, then two, as
#      24-bit DP clock differences; BREAK.

        .set noreorder

        .equ CAL_ITERS, 256

        .data
results:
rdram_src:
        .word 0, 0, 0, 0, 0, 0, 0, 0, 0

        .text
        .balign 8
start:
        lw      s0, %lo(rdram_src)($zero)
        lui     s1, 0x00FF                      # 24-bit mask of DP clock differences
        ori     s1, s1, 0xFFFF

        # Calibration: CAL_ITERS iterations, loop-carried only by t1.
        li      t1, CAL_ITERS
        mfc0    t2, COP0_DP_CLOCK
        .balign 8
cal_loop:
        vmudh   $v01, $v05, $v06
        addiu   t1, t1, -1
        vmudh   $v02, $v05, $v06
        vmudh   $v03, $v05, $v06
        bnez    t1, cal_loop
        vmudh   $v04, $v05, $v06                # (delay slot)
        mfc0    t3, COP0_DP_CLOCK
        subu    s2, t3, t2
        and     s2, s2, s1

# One transfer of `len` bytes to DMEM 0, its DP clock time into `out`.
.macro dma_one len, out
        mtc0    $zero, COP0_DMA_SPADDR
        mtc0    s0, COP0_DMA_RAMADDR
        li      t0, \len - 1
        mfc0    t2, COP0_DP_CLOCK
        mtc0    t0, COP0_DMA_READ               # starts the transfer
1:      mfc0    t0, COP0_DMA_BUSY
        bnez    t0, 1b
        nop
        mfc0    t3, COP0_DP_CLOCK
        subu    \out, t3, t2
        and     \out, \out, s1
.endm

# Two transfers of `len` bytes, the second queued behind the first (both to DMEM 0).
.macro dma_two len, out
        mtc0    $zero, COP0_DMA_SPADDR
        mtc0    s0, COP0_DMA_RAMADDR
        li      t0, \len - 1
        mfc0    t2, COP0_DP_CLOCK
        mtc0    t0, COP0_DMA_READ               # the first starts
        mtc0    $zero, COP0_DMA_SPADDR          # the second's registers, while it runs
        mtc0    s0, COP0_DMA_RAMADDR
        mtc0    t0, COP0_DMA_READ               # queued (DMA_FULL) behind the first
1:      mfc0    t0, COP0_DMA_BUSY
        bnez    t0, 1b
        nop
        mfc0    t3, COP0_DP_CLOCK
        subu    \out, t3, t2
        and     \out, \out, s1
.endm

        dma_one 256, s3
        dma_one 1088, s4
        dma_one 2048, s5
        dma_one 4096, s6
        dma_two 256, s7
        dma_two 1088, s8
        dma_two 2048, t8
        dma_two 4096, t9

        sw      s2, %lo(results + 0)($zero)
        sw      s3, %lo(results + 4)($zero)
        sw      s4, %lo(results + 8)($zero)
        sw      s5, %lo(results + 12)($zero)
        sw      s6, %lo(results + 16)($zero)
        sw      s7, %lo(results + 20)($zero)
        sw      s8, %lo(results + 24)($zero)
        sw      t8, %lo(results + 28)($zero)
        sw      t9, %lo(results + 32)($zero)
        break
