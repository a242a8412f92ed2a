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
# it back, 4 columns ahead of the MACs. Simpler than matvec_q4.inc's register-resident loop
# and slower (bench-results/libdragon.md has its cycles), but within the per-command bound.
#define Q4_RECORD_BYTES 144

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
    # The unpack, software-pipelined so that no op waits for a result (vector results are
    # ready 4 issue groups later, RSP-FACTS "Timing") and each VU op pairs with an SU op:
    # byte group p is loaded 2 groups ahead of its VAND/VMUDN and stored 2 groups after.
    # t_p (then column 2p+1, in place) rotates through $v01-$v06, column 2p through
    # $v10-$v13; x goes to $v24-$v27 meanwhile.
    lpv $v01, 0, 0, t8                  # byte group 0
    lpv $v02, 0, 8, t8                  # byte group 1
    lqv $v24, 0, 0, s2                  # x[32b + 0..7]
    lqv $v25, 0, 16, s2
    lqv $v26, 0, 32, s2
    lqv $v27, 0, 48, s2
    vand $v10, $v01, $v28, e(0)         # column 0 = t & 0xF000
    lpv $v03, 0, 16, t8                 # byte group 2
    vmudn $v01, $v01, $v28, e(1)        # column 1 = t * 16 (low slice)
    vand $v11, $v02, $v28, e(0)         # column 2 = t & 0xF000
    lpv $v04, 0, 24, t8                 # byte group 3
    vmudn $v02, $v02, $v28, e(1)        # column 3 = t * 16 (low slice)
    vand $v12, $v03, $v28, e(0)         # column 4 = t & 0xF000
    lpv $v05, 0, 32, t8                 # byte group 4
    vmudn $v03, $v03, $v28, e(1)        # column 5 = t * 16 (low slice)
    sqv $v10, 0, 0, s7                  # column 0
    sqv $v01, 0, 16, s7                 # column 1
    vand $v13, $v04, $v28, e(0)         # column 6 = t & 0xF000
    lpv $v06, 0, 40, t8                 # byte group 5
    vmudn $v04, $v04, $v28, e(1)        # column 7 = t * 16 (low slice)
    sqv $v11, 0, 32, s7                 # column 2
    sqv $v02, 0, 48, s7                 # column 3
    vand $v10, $v05, $v28, e(0)         # column 8 = t & 0xF000
    lpv $v01, 0, 48, t8                 # byte group 6
    vmudn $v05, $v05, $v28, e(1)        # column 9 = t * 16 (low slice)
    sqv $v12, 0, 64, s7                 # column 4
    sqv $v03, 0, 80, s7                 # column 5
    vand $v11, $v06, $v28, e(0)         # column 10 = t & 0xF000
    lpv $v02, 0, 56, t8                 # byte group 7
    vmudn $v06, $v06, $v28, e(1)        # column 11 = t * 16 (low slice)
    sqv $v13, 0, 96, s7                 # column 6
    sqv $v04, 0, 112, s7                # column 7
    vand $v12, $v01, $v28, e(0)         # column 12 = t & 0xF000
    lpv $v03, 0, 64, t8                 # byte group 8
    vmudn $v01, $v01, $v28, e(1)        # column 13 = t * 16 (low slice)
    sqv $v10, 0, 128, s7                # column 8
    sqv $v05, 0, 144, s7                # column 9
    vand $v13, $v02, $v28, e(0)         # column 14 = t & 0xF000
    lpv $v04, 0, 72, t8                 # byte group 9
    vmudn $v02, $v02, $v28, e(1)        # column 15 = t * 16 (low slice)
    sqv $v11, 0, 160, s7                # column 10
    sqv $v06, 0, 176, s7                # column 11
    vand $v10, $v03, $v28, e(0)         # column 16 = t & 0xF000
    lpv $v05, 0, 80, t8                 # byte group 10
    vmudn $v03, $v03, $v28, e(1)        # column 17 = t * 16 (low slice)
    sqv $v12, 0, 192, s7                # column 12
    sqv $v01, 0, 208, s7                # column 13
    vand $v11, $v04, $v28, e(0)         # column 18 = t & 0xF000
    lpv $v06, 0, 88, t8                 # byte group 11
    vmudn $v04, $v04, $v28, e(1)        # column 19 = t * 16 (low slice)
    sqv $v13, 0, 224, s7                # column 14
    sqv $v02, 0, 240, s7                # column 15
    vand $v12, $v05, $v28, e(0)         # column 20 = t & 0xF000
    lpv $v01, 0, 96, t8                 # byte group 12
    vmudn $v05, $v05, $v28, e(1)        # column 21 = t * 16 (low slice)
    sqv $v10, 0, 256, s7                # column 16
    sqv $v03, 0, 272, s7                # column 17
    vand $v13, $v06, $v28, e(0)         # column 22 = t & 0xF000
    lpv $v02, 0, 104, t8                # byte group 13
    vmudn $v06, $v06, $v28, e(1)        # column 23 = t * 16 (low slice)
    sqv $v11, 0, 288, s7                # column 18
    sqv $v04, 0, 304, s7                # column 19
    vand $v10, $v01, $v28, e(0)         # column 24 = t & 0xF000
    lpv $v03, 0, 112, t8                # byte group 14
    vmudn $v01, $v01, $v28, e(1)        # column 25 = t * 16 (low slice)
    sqv $v12, 0, 320, s7                # column 20
    sqv $v05, 0, 336, s7                # column 21
    vand $v11, $v02, $v28, e(0)         # column 26 = t & 0xF000
    lpv $v04, 0, 120, t8                # byte group 15
    vmudn $v02, $v02, $v28, e(1)        # column 27 = t * 16 (low slice)
    sqv $v13, 0, 352, s7                # column 22
    sqv $v06, 0, 368, s7                # column 23
    vand $v12, $v03, $v28, e(0)         # column 28 = t & 0xF000
    vmudn $v03, $v03, $v28, e(1)        # column 29 = t * 16 (low slice)
    sqv $v10, 0, 384, s7                # column 24
    sqv $v01, 0, 400, s7                # column 25
    vand $v13, $v04, $v28, e(0)         # column 30 = t & 0xF000
    vmudn $v04, $v04, $v28, e(1)        # column 31 = t * 16 (low slice)
    sqv $v11, 0, 416, s7                # column 26
    sqv $v02, 0, 432, s7                # column 27
    sqv $v12, 0, 448, s7                # column 28
    sqv $v03, 0, 464, s7                # column 29
    sqv $v13, 0, 480, s7                # column 30
    sqv $v04, 0, 496, s7                # column 31
    # The MAC chain: column c+4 is loaded while column c is multiplied (8 registers in
    # rotation, $v14-$v21); the G of the 8 rows in a free SU slot.
    lqv $v14, 0, 0, s7                  # column 0
    lqv $v15, 0, 16, s7                 # column 1
    lqv $v16, 0, 32, s7                 # column 2
    lqv $v17, 0, 48, s7                 # column 3
    vmulf $v09, $v14, $v24, e(0)        # c0
    lqv $v18, 0, 64, s7                 # column 4
    vmacf $v09, $v15, $v24, e(1)        # c1
    lqv $v19, 0, 80, s7                 # column 5
    vmacf $v09, $v16, $v24, e(2)        # c2
    lqv $v20, 0, 96, s7                 # column 6
    vmacf $v09, $v17, $v24, e(3)        # c3
    lqv $v21, 0, 112, s7                # column 7
    vmacf $v09, $v18, $v24, e(4)        # c4
    lqv $v14, 0, 128, s7                # column 8
    vmacf $v09, $v19, $v24, e(5)        # c5
    lqv $v15, 0, 144, s7                # column 9
    vmacf $v09, $v20, $v24, e(6)        # c6
    lqv $v16, 0, 160, s7                # column 10
    vmacf $v09, $v21, $v24, e(7)        # c7
    lqv $v17, 0, 176, s7                # column 11
    vmacf $v09, $v14, $v25, e(0)        # c8
    lqv $v18, 0, 192, s7                # column 12
    vmacf $v09, $v15, $v25, e(1)        # c9
    lqv $v19, 0, 208, s7                # column 13
    vmacf $v09, $v16, $v25, e(2)        # c10
    lqv $v20, 0, 224, s7                # column 14
    vmacf $v09, $v17, $v25, e(3)        # c11
    lqv $v21, 0, 240, s7                # column 15
    vmacf $v09, $v18, $v25, e(4)        # c12
    lqv $v14, 0, 256, s7                # column 16
    vmacf $v09, $v19, $v25, e(5)        # c13
    lqv $v15, 0, 272, s7                # column 17
    vmacf $v09, $v20, $v25, e(6)        # c14
    lqv $v16, 0, 288, s7                # column 18
    vmacf $v09, $v21, $v25, e(7)        # c15
    lqv $v17, 0, 304, s7                # column 19
    vmacf $v09, $v14, $v26, e(0)        # c16
    lqv $v18, 0, 320, s7                # column 20
    vmacf $v09, $v15, $v26, e(1)        # c17
    lqv $v19, 0, 336, s7                # column 21
    vmacf $v09, $v16, $v26, e(2)        # c18
    lqv $v20, 0, 352, s7                # column 22
    vmacf $v09, $v17, $v26, e(3)        # c19
    lqv $v21, 0, 368, s7                # column 23
    vmacf $v09, $v18, $v26, e(4)        # c20
    lqv $v14, 0, 384, s7                # column 24
    vmacf $v09, $v19, $v26, e(5)        # c21
    lqv $v15, 0, 400, s7                # column 25
    vmacf $v09, $v20, $v26, e(6)        # c22
    lqv $v16, 0, 416, s7                # column 26
    vmacf $v09, $v21, $v26, e(7)        # c23
    lqv $v17, 0, 432, s7                # column 27
    vmacf $v09, $v14, $v27, e(0)        # c24
    lqv $v18, 0, 448, s7                # column 28
    vmacf $v09, $v15, $v27, e(1)        # c25
    lqv $v19, 0, 464, s7                # column 29
    vmacf $v09, $v16, $v27, e(2)        # c26
    lqv $v20, 0, 480, s7                # column 30
    vmacf $v09, $v17, $v27, e(3)        # c27
    lqv $v21, 0, 496, s7                # column 31
    vmacf $v09, $v18, $v27, e(4)        # c28
    lqv $v10, 0, 128, t8                # G_b of the 8 rows
    vmacf $v09, $v19, $v27, e(5)        # c29
    vmacf $v09, $v20, $v27, e(6)        # c30
    vmacf $v09, $v21, $v27, e(7)        # c31: h_b of the 8 rows
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

