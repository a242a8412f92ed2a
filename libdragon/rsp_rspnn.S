# rspnn's rspq overlay: the Q8 matrix-vector product (numerics.md "Matrix-vector", the scalar
# reference kernels::matvec), written with libdragon's rsp_queue.inc conventions and assembled
# by the game's own libdragon (n64.mk, GNU as) at the game's build time, so that the rspq
# resident core it embeds is byte-for-byte the running one (rspq checks it at registration).
#
# RSPNN_CMD_MATVEC_Q8 (and RSPNN_CMD_MATVEC_Q4, the same with 144-byte Q4 records, below)
# computes `groups` row groups (8 rows each) of y = W x:
#   a0: [command id][out_shift:8][groups:8][blocks:8]   (blocks = cols / 32, 1..16)
#   a1: RDRAM address of the first row group's first block record (272 bytes each, 8-aligned)
#   a2: RDRAM address of x (blocks * 32 int16, 8-aligned)
#   a3: RDRAM address of this command's first output (groups * 8 int16, 8-aligned)
# The C side (libdragon/rspnn.c) splits a matvec into commands of at most RSPNN_MAX_RECORDS
# records, so that each command stays short and rspq interleaves other overlays (rdpq, the
# mixer) between them. Nothing persists between commands: each one loads its own x, so no
# saved state is needed (rspq reloads an overlay's data, not its bss, on every switch).
#
# Numerics, per row group (the same steps as ucode/rsp/matvec_q8.inc, bit for bit):
#   h_b = VMULF + 31 VMACF of w16 (LPV puts q << 8 in each lane: RSP-FACTS, LPV fills bits
#         15..8) with x[32b + c] broadcast: sat16((0x8000 + sum 2 w16 x) >> 16);
#   y_k = VMULF 0 * 0 (acc = 0x8000, the rounding) then one VMADM h_b * G_b (G_b unsigned)
#         per block: sat16(acc >> 16);
#   y   = VMUDH y_k by 2^out_shift: sat16(y_k << k).
#
# DMEM: X 1024 + REC 2 x 272 + HG 512 + Y 16 + UNP 512 (the Q4 command's) = 2608 bytes of
# bss (within rspq's 3,584-byte overlay budget). The record DMA is double-buffered: record
# b+1 is fetched while record b is computed (bench-results/libdragon.md has the cycles
# before and after).

#include <rsp_queue.inc>

#define MAX_BLOCKS   16
#define RECORD_BYTES 272

    .set noreorder
    .set at

    .data

RSPQ_BeginOverlayHeader
    RSPQ_DefineCommand RspnnCmd_MatvecQ8, 16        # 0x0: see above
    RSPQ_DefineCommand RspnnCmd_MatvecQ4, 16        # 0x1: the same with Q4 records (below)
RSPQ_EndOverlayHeader

RSPQ_EmptySavedState

    .bss
    .align 4
X_BUF:   .ds.b MAX_BLOCKS * 64                      # x, 32 int16 per block
    .align 4
REC_BUF: .ds.b 2 * RECORD_BYTES                     # two block records (double buffer)
    .align 4
HG_BUF:  .ds.b MAX_BLOCKS * 32                      # per block: h_b (8 int16), then G_b
    .align 4
Y_BUF:   .ds.b 16                                   # one row group's 8 outputs
    .align 4
UNP_BUF: .ds.b 32 * 16                              # Q4: a record's 32 unpacked columns

    .text

# Eight LPVs: columns base/8 .. base/8 + 7 of the record (8 bytes each, one per row) into
# $v01-$v08, each byte in a lane's high half.
.macro LoadColumns8 base
    lpv $v01, 0, \base + 0, t8
    lpv $v02, 0, \base + 8, t8
    lpv $v03, 0, \base + 16, t8
    lpv $v04, 0, \base + 24, t8
    lpv $v05, 0, \base + 32, t8
    lpv $v06, 0, \base + 40, t8
    lpv $v07, 0, \base + 48, t8
    lpv $v08, 0, \base + 56, t8
.endm

# Eight VMACFs of $v01-$v08 with the eight elements of x register xr.
.macro Mac8 xr
    vmacf $v09, $v01, \xr, e(0)
    vmacf $v09, $v02, \xr, e(1)
    vmacf $v09, $v03, \xr, e(2)
    vmacf $v09, $v04, \xr, e(3)
    vmacf $v09, $v05, \xr, e(4)
    vmacf $v09, $v06, \xr, e(5)
    vmacf $v09, $v07, \xr, e(6)
    vmacf $v09, $v08, \xr, e(7)
.endm

    .func RspnnCmd_MatvecQ8
RspnnCmd_MatvecQ8:
    andi k0, a0, 0xFF                   # blocks
    srl k1, a0, 8
    andi k1, k1, 0xFF                   # row groups
    srl t3, a0, 16
    andi t3, t3, 0xFF                   # out_shift
    li t4, 1
    sllv t4, t4, t3
    mtc2 t4, $v29.e0                    # 2^out_shift for VMUDH
    move s5, a1                         # records
    move s6, a3                         # y

    # x: blocks * 64 bytes.
    sll t0, k0, 6
    addiu t0, t0, -1                    # DMA_SIZE(blocks * 64, 1)
    move s0, a2
    jal DMAIn
    li s4, %lo(X_BUF)

    # Records are double-buffered: t8 is the buffer of the block being computed, t7 the other
    # one, into which the next record (the next 272 bytes in RDRAM: records are row-group
    # major, block minor) is DMAed while this one is computed. Start the first one.
    li t8, %lo(REC_BUF)
    li t7, %lo(REC_BUF + RECORD_BYTES)
    move s0, s5
    li t0, DMA_SIZE(RECORD_BYTES, 1)
    jal DMAInAsync
    move s4, t8

RspnnGroup:
    li s1, %lo(HG_BUF)                  # h/G slot of the current block
    li s2, %lo(X_BUF)                   # x of the current block
    move s3, k0                         # blocks left in this row group

RspnnRecord:
    jal DMAWaitIdle                     # this block's record (t8) has landed
    nop
    addiu t6, k1, -1                    # row groups after this one
    bnez t6, RspnnPrefetch
    addiu t6, s3, -1                    # blocks after this one in the group
    beqz t6, RspnnCompute               # the command's last record: nothing to fetch
    nop
RspnnPrefetch:
    addiu s0, s5, RECORD_BYTES          # the next record, into the other buffer
    li t0, DMA_SIZE(RECORD_BYTES, 1)
    jal DMAInAsync
    move s4, t7
RspnnCompute:
    lqv $v24, 0, 0, s2                  # x[32b + 0..7]
    lqv $v25, 0, 16, s2
    lqv $v26, 0, 32, s2
    lqv $v27, 0, 48, s2

    LoadColumns8 0
    vmulf $v09, $v01, $v24, e(0)
    vmacf $v09, $v02, $v24, e(1)
    vmacf $v09, $v03, $v24, e(2)
    vmacf $v09, $v04, $v24, e(3)
    vmacf $v09, $v05, $v24, e(4)
    vmacf $v09, $v06, $v24, e(5)
    vmacf $v09, $v07, $v24, e(6)
    vmacf $v09, $v08, $v24, e(7)
    LoadColumns8 64
    Mac8 $v25
    LoadColumns8 128
    Mac8 $v26
    LoadColumns8 192
    Mac8 $v27                           # $v09 = h_b of the 8 rows

    lqv $v10, 0, 256, t8                # G_b of the 8 rows
    sqv $v09, 0, 0, s1
    sqv $v10, 0, 16, s1
    move t6, t8                         # swap the record buffers
    move t8, t7
    move t7, t6
    addiu s1, s1, 32
    addiu s2, s2, 64
    addiu s3, s3, -1
    bnez s3, RspnnRecord
    addiu s5, s5, RECORD_BYTES

    # The scale chain: acc = 0x8000, then acc += h_b * G_b for every block.
    vmulf $v11, vzero, vzero            # 2 * 0 * 0 + 0x8000
    li s1, %lo(HG_BUF)
    move s3, k0
RspnnChain:
    lqv $v12, 0, 0, s1
    lqv $v13, 0, 16, s1
    addiu s3, s3, -1
    vmadm $v11, $v12, $v13              # h_b signed, G_b unsigned
    bnez s3, RspnnChain
    addiu s1, s1, 32
    vmudh $v14, $v11, $v29, e(0)        # sat16(y_k << out_shift)

    li s4, %lo(Y_BUF)
    sqv $v14, 0, 0, s4
    move s0, s6
    jal DMAOut
    li t0, DMA_SIZE(16, 1)
    addiu k1, k1, -1
    bnez k1, RspnnGroup
    addiu s6, s6, 16

    j RSPQ_Loop
    nop
    .endfunc

# RSPNN_CMD_MATVEC_Q4: the same command words, with Q4 block records (144 bytes: byte group p
# of the 8 rows at byte 8p, high nibble = column 2p, low nibble = column 2p+1, two's
# complement; then the 8 big-endian u16 scales at 128, docs/weight-format.md). Numerics as
# ucode/rsp/matvec_q4.inc, bit for bit: LPV of byte group p puts t = byte << 8 in each lane
# (RSP-FACTS: LPV fills bits 15..8), and
#     column 2p   = VAND  t, 0xF000   (q << 12: the high nibble, its sign in bit 15)
#     column 2p+1 = VMUDN t, 16       (low slice of t * 16: the low nibble in bits 15..12)
# both exact, then h_b = VMULF + 31 VMACF of the columns with x broadcast, and the scale chain
# and shift of the Q8 command. Every unpack op writes the accumulator (RSP-FACTS "Accumulator
# and clamps"), so none may sit inside a block's MAC chain: a record is unpacked whole into
# UNP_BUF first (the columns do not fit the vector registers beside x), then the chain reads
# it back, 8 columns at a time. Simpler than matvec_q4.inc's register-resident loop and slower
# (bench-results/libdragon.md has its cycles), but within the per-command bound.
#define Q4_RECORD_BYTES 144

# LPV of byte group p (record buffer t8), unpacked into the UNP_BUF slots of columns 2p, 2p+1
# (base s7). $v28.e0 = 0xF000, $v28.e1 = 16.
.macro UnpackGroup p
    lpv $v01, 0, 8 * \p, t8
    vand $v02, $v01, $v28, e(0)
    vmudn $v03, $v01, $v28, e(1)
    sqv $v02, 0, 32 * \p, s7
    sqv $v03, 0, 32 * \p + 16, s7
.endm

# Eight LQVs: unpacked columns base/16 .. base/16 + 7 into $v01-$v08.
.macro LoadUnpacked8 base
    lqv $v01, 0, \base + 0, s7
    lqv $v02, 0, \base + 16, s7
    lqv $v03, 0, \base + 32, s7
    lqv $v04, 0, \base + 48, s7
    lqv $v05, 0, \base + 64, s7
    lqv $v06, 0, \base + 80, s7
    lqv $v07, 0, \base + 96, s7
    lqv $v08, 0, \base + 112, s7
.endm

    .func RspnnCmd_MatvecQ4
RspnnCmd_MatvecQ4:
    andi k0, a0, 0xFF                   # blocks
    srl k1, a0, 8
    andi k1, k1, 0xFF                   # row groups
    srl t3, a0, 16
    andi t3, t3, 0xFF                   # out_shift
    li t4, 1
    sllv t4, t4, t3
    mtc2 t4, $v29.e0                    # 2^out_shift for VMUDH
    li t4, 0xF000
    mtc2 t4, $v28.e0                    # the high-nibble mask
    li t4, 16
    mtc2 t4, $v28.e1                    # the low nibble's shift
    li s7, %lo(UNP_BUF)
    move s5, a1                         # records
    move s6, a3                         # y

    sll t0, k0, 6
    addiu t0, t0, -1                    # DMA_SIZE(blocks * 64, 1)
    move s0, a2
    jal DMAIn
    li s4, %lo(X_BUF)

    # Double-buffered records, as in the Q8 command (REC_BUF holds two Q8 records, so two Q4
    # ones with room to spare).
    li t8, %lo(REC_BUF)
    li t7, %lo(REC_BUF + Q4_RECORD_BYTES)
    move s0, s5
    li t0, DMA_SIZE(Q4_RECORD_BYTES, 1)
    jal DMAInAsync
    move s4, t8

RspnnQ4Group:
    li s1, %lo(HG_BUF)
    li s2, %lo(X_BUF)
    move s3, k0

RspnnQ4Record:
    jal DMAWaitIdle
    nop
    addiu t6, k1, -1
    bnez t6, RspnnQ4Prefetch
    addiu t6, s3, -1
    beqz t6, RspnnQ4Compute
    nop
RspnnQ4Prefetch:
    addiu s0, s5, Q4_RECORD_BYTES
    li t0, DMA_SIZE(Q4_RECORD_BYTES, 1)
    jal DMAInAsync
    move s4, t7
RspnnQ4Compute:
    UnpackGroup 0
    UnpackGroup 1
    UnpackGroup 2
    UnpackGroup 3
    UnpackGroup 4
    UnpackGroup 5
    UnpackGroup 6
    UnpackGroup 7
    UnpackGroup 8
    UnpackGroup 9
    UnpackGroup 10
    UnpackGroup 11
    UnpackGroup 12
    UnpackGroup 13
    UnpackGroup 14
    UnpackGroup 15

    lqv $v24, 0, 0, s2
    lqv $v25, 0, 16, s2
    lqv $v26, 0, 32, s2
    lqv $v27, 0, 48, s2

    LoadUnpacked8 0
    vmulf $v09, $v01, $v24, e(0)
    vmacf $v09, $v02, $v24, e(1)
    vmacf $v09, $v03, $v24, e(2)
    vmacf $v09, $v04, $v24, e(3)
    vmacf $v09, $v05, $v24, e(4)
    vmacf $v09, $v06, $v24, e(5)
    vmacf $v09, $v07, $v24, e(6)
    vmacf $v09, $v08, $v24, e(7)
    LoadUnpacked8 128
    Mac8 $v25
    LoadUnpacked8 256
    Mac8 $v26
    LoadUnpacked8 384
    Mac8 $v27                           # $v09 = h_b of the 8 rows

    lqv $v10, 0, 128, t8                # G_b of the 8 rows
    sqv $v09, 0, 0, s1
    sqv $v10, 0, 16, s1
    move t6, t8
    move t8, t7
    move t7, t6
    addiu s1, s1, 32
    addiu s2, s2, 64
    addiu s3, s3, -1
    bnez s3, RspnnQ4Record
    addiu s5, s5, Q4_RECORD_BYTES

    vmulf $v11, vzero, vzero
    li s1, %lo(HG_BUF)
    move s3, k0
RspnnQ4Chain:
    lqv $v12, 0, 0, s1
    lqv $v13, 0, 16, s1
    addiu s3, s3, -1
    vmadm $v11, $v12, $v13
    bnez s3, RspnnQ4Chain
    addiu s1, s1, 32
    vmudh $v14, $v11, $v29, e(0)

    li s4, %lo(Y_BUF)
    sqv $v14, 0, 0, s4
    move s0, s6
    jal DMAOut
    li t0, DMA_SIZE(16, 1)
    addiu k1, k1, -1
    bnez k1, RspnnQ4Group
    addiu s6, s6, 16

    j RSPQ_Loop
    nop
    .endfunc

