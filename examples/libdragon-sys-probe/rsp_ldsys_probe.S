# The probe's rspq overlay: a sum kept in the overlay's saved state, so that the CPU can read it
# back with rspq_overlay_get_state. Command 1 weights its four words differently, so that
# arguments passed in the wrong order (or lost on the way through the thunks) change the sum.
#include <rsp_queue.inc>

    .set noreorder
    .set at

    .data

RSPQ_BeginOverlayHeader
    RSPQ_DefineCommand ProbeCmd_Add, 4          # 0x0: SUM += a0 & 0xFFFFFF
    RSPQ_DefineCommand ProbeCmd_Add4, 16        # 0x1: SUM += (a0 & 0xFFFFFF) + 2 a1 + 4 a2 + 8 a3
RSPQ_EndOverlayHeader

RSPQ_BeginSavedState
PROBE_SUM: .long 0
RSPQ_EndSavedState

    .text

    .func ProbeCmd_Add
ProbeCmd_Add:
    # a0's top byte is the overlay and command id (rspq.h, rspq_write).
    lw t0, %lo(PROBE_SUM)
    and a0, 0xFFFFFF
    addu t0, a0
    j RSPQ_Loop
    sw t0, %lo(PROBE_SUM)
    .endfunc

    .func ProbeCmd_Add4
ProbeCmd_Add4:
    lw t0, %lo(PROBE_SUM)
    and a0, 0xFFFFFF
    addu t0, a0
    sll a1, 1
    addu t0, a1
    sll a2, 2
    addu t0, a2
    sll a3, 3
    addu t0, a3
    j RSPQ_Loop
    sw t0, %lo(PROBE_SUM)
    .endfunc
