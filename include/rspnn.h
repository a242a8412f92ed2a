/*
 * rspnn.h: rspnn's C API for libdragon games (issue 18). Build with libdragon/rspnn.mk, which
 * assembles rspnn's rspq overlay against your own libdragon (n64.mk, GNU as) and links the
 * static library; see README.md "libdragon".
 *
 * What it exposes today: the Q8 matrix-vector product y = W x of rspnn's numerics
 * (kernels::matvec, bit for bit), run on the RSP as rspq commands of rspnn's overlay, each at
 * most RSPNN_MAX_RECORDS_PER_COMMAND block records long so that rdpq, the mixer and rspq's
 * high-priority queue interleave between them; and the same product on the CPU by rspnn's
 * scalar Rust reference (called through an o64 -> o32 thunk), to check the RSP against.
 */
#ifndef RSPNN_H
#define RSPNN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A Q8 matrix in rspnn's block-record layout (docs/weight-format.md "Block records"):
 * rows/8 * cols/32 records of 272 bytes, row-group major, block minor (256 weight bytes,
 * byte c*8 + j = q[8g+j][32b+c], then 8 big-endian u16 block scales). */
typedef struct {
    const void *records;  /* 8-byte aligned, RDRAM (cached or uncached) */
    uint32_t rows;        /* multiple of 8 */
    uint32_t cols;        /* multiple of 32, at most RSPNN_MAX_COLS on the RSP */
    uint32_t out_shift;   /* output shift k, 0..15 */
} rspnn_q8_matrix_t;

/* Bytes of one Q8 block record. */
#define RSPNN_Q8_RECORD_BYTES 272
/* The overlay holds x in DMEM: 16 blocks of 32 int16 (rspq leaves an overlay 3,584 bytes). */
#define RSPNN_MAX_COLS 512
/* Each rspq command covers whole row groups, at most this many records (cols/32 per group).
 * Measured on rsp-sim (bench-results/libdragon.md): the longest such command takes 10,339 RSP
 * cycles (165 us), within issue 18's 500 us per command with room for rspq's overlay switch and
 * RDRAM contention; `cargo test -p rspnn-overlay-cycles` holds it there. */
#define RSPNN_MAX_RECORDS_PER_COMMAND 64

/* Results: 0, or one of these. rspnn_strerror names the argument at fault. */
#define RSPNN_OK 0
#define RSPNN_ERR_SHAPE (-1)      /* rows/cols/out_shift outside what the kernel accepts */
#define RSPNN_ERR_ALIGN (-2)      /* records/x not 8-byte or y not 16-byte aligned */
#define RSPNN_ERR_NOT_INIT (-3)   /* rspnn_init was not called */
#define RSPNN_ERR_NULL (-4)       /* a NULL pointer */
#define RSPNN_ERR_DMEM (-5)       /* cols > RSPNN_MAX_COLS: x would not fit the overlay's DMEM */
#define RSPNN_ERR_LIBDRAGON (-6)  /* the overlay was assembled against a different libdragon */

/* Registers rspnn's overlay with rspq (calls rspq_init). Idempotent. Returns RSPNN_OK, or
 * RSPNN_ERR_LIBDRAGON when the rspq core the overlay embeds is not the running libdragon's
 * (rspq_overlay_register would stop the game on an assertion): then nothing is registered,
 * every submit returns RSPNN_ERR_NOT_INIT, and rspnn_strerror names both libdragons. */
int rspnn_init(void);
/* Unregisters it. */
void rspnn_close(void);

/* Queues y = W x on the RSP as rspq commands and returns at once (nothing waits). It writes
 * back the records and x from the data cache and invalidates y's lines, so y must be 16-byte
 * aligned and the CPU must not read y until the RSP is done: take rspq_syncpoint_new() after
 * this call and poll rspq_syncpoint_check() (or rspq_syncpoint_wait()). The records and x must
 * stay unchanged until then. */
int rspnn_matvec_q8_submit(const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y);

/* y = W x on the CPU with rspnn's scalar reference (Rust kernels::matvec); any cols. */
int rspnn_ref_matvec_q8(const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y);

/* A sentence naming what an RSPNN_ERR_* code refuses. */
const char *rspnn_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
