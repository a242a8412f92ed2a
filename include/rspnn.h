/*
 * rspnn.h: rspnn's C API for libdragon games (issue 18). Build with libdragon/rspnn.mk, which
 * assembles rspnn's rspq overlay against your own libdragon (n64.mk, GNU as) and links the
 * static library; see README.md "libdragon".
 *
 * Text generation (rspnn_model_load, rspnn_generate_begin, rspnn_generate_poll): the same bytes
 * as `rspnn generate` on the host for the same model and prompt. Every matrix product runs on
 * the RSP as rspq commands of rspnn's overlay; the rest of each token (embedding, norms,
 * attention, softmax, argmax: rspnn's scalar spec kernels, Rust) runs on the CPU inside
 * rspnn_generate_poll. Nothing blocks: poll returns RSPNN_BUSY while the RSP works, so the game
 * keeps drawing with rdpq through the same rspq. One model and one generation at a time; call
 * from one thread.
 *
 *     rspnn_init();                                   // after rdpq_init/audio: registers the overlay
 *     int err = rspnn_model_load(file, size);         // e.g. asset_load("rom:/model.rspw", &size)
 *     if (err) debugf("%s: %s
", rspnn_strerror(err), rspnn_error_detail());
 *     rspnn_generate_begin("Q: Who are you?
A:", 18, 64, RSPNN_STOP_AT_NEWLINE);
 *     while (1) {                                     // the game loop
 *         int c = rspnn_generate_poll();
 *         if (c >= 0 && c <= 255) answer[len++] = c;  // the next byte of the answer
 *         else if (c == RSPNN_DONE) break;            // RSPNN_BUSY: the RSP is working
 *         else if (c < 0) { debugf("%s
", rspnn_error_detail()); break; }
 *         draw_frame_if_a_buffer_is_free();           // display_try_get() + rdpq
 *     }
 *
 * The matvec itself is exposed too: the Q8 (and Q4) matrix-vector product y = W x of rspnn's numerics
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

/* A Q4 matrix in the same layout with Q4 block records (docs/weight-format.md): 144 bytes,
 * byte 8p + j = q[8g+j][32b+2p] << 4 | (q[8g+j][32b+2p+1] & 15) (two's-complement nibbles),
 * then the 8 big-endian u16 block scales. */
typedef struct {
    const void *records;  /* 8-byte aligned, RDRAM (cached or uncached) */
    uint32_t rows;        /* multiple of 8 */
    uint32_t cols;        /* multiple of 32, at most RSPNN_MAX_COLS on the RSP */
    uint32_t out_shift;   /* output shift k, 0..15 */
} rspnn_q4_matrix_t;

/* Bytes of one Q4 block record. */
#define RSPNN_Q4_RECORD_BYTES 144
/* The overlay holds x in DMEM: 16 blocks of 32 int16 (rspq leaves an overlay 3,584 bytes). */
#define RSPNN_MAX_COLS 512
/* Each rspq command covers whole row groups, at most this many records (cols/32 per group),
 * Q8 or Q4. Measured on rsp-sim (bench-results/libdragon.md): the longest such command takes
 * 10,339 RSP cycles (165 us) with Q8 records and 13,590 (217 us) with Q4 ones (the Q4 command
 * unpacks each record through DMEM), within issue 18's 500 us per command with room for rspq's
 * overlay switch; `cargo test -p rspnn-overlay-cycles` holds both there. */
#define RSPNN_MAX_RECORDS_PER_COMMAND 64

/* Results: 0, or one of these. rspnn_strerror names the argument at fault. */
#define RSPNN_OK 0
#define RSPNN_ERR_SHAPE (-1)      /* rows/cols/out_shift outside what the kernel accepts */
#define RSPNN_ERR_ALIGN (-2)      /* records/x not 8-byte or y not 16-byte aligned */
#define RSPNN_ERR_NOT_INIT (-3)   /* rspnn_init was not called */
#define RSPNN_ERR_NULL (-4)       /* a NULL pointer */
#define RSPNN_ERR_DMEM (-5)       /* cols > RSPNN_MAX_COLS: x would not fit the overlay's DMEM */
#define RSPNN_ERR_LIBDRAGON (-6)  /* the overlay was assembled against a different libdragon */
#define RSPNN_ERR_MODEL (-7)      /* not a valid rspnn model file (see rspnn_error_detail) */
#define RSPNN_ERR_UNSUPPORTED (-8) /* a valid model the overlay cannot run (too wide) */
#define RSPNN_ERR_NO_MEMORY (-9)  /* the workspace could not be allocated */
#define RSPNN_ERR_NO_MODEL (-10)  /* rspnn_model_load did not succeed */
#define RSPNN_ERR_PROMPT (-11)    /* empty or too long prompt, max 0, or nothing begun */
#define RSPNN_ERR_GENERATE (-12)  /* the model failed mid-answer (see rspnn_error_detail) */

/* rspnn_generate_poll's results besides a byte (0..255) and the errors above. */
#define RSPNN_BUSY 256            /* the RSP is computing: poll again later */
#define RSPNN_DONE 257            /* the answer is complete */

/* rspnn_generate_begin's flags. */
#define RSPNN_STOP_AT_NEWLINE 1u  /* stop before the first generated newline */
/* The longest prompt rspnn_generate_begin takes (it copies the prompt). */
#define RSPNN_MAX_PROMPT 512

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
/* The same for a Q4 matrix (rspnn's overlay command RSPNN_CMD_MATVEC_Q4); same rules. */
int rspnn_matvec_q4_submit(const rspnn_q4_matrix_t *m, const int16_t *x, int16_t *y);

/* y = W x on the CPU with rspnn's scalar reference (Rust kernels::matvec); any cols. */
int rspnn_ref_matvec_q8(const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y);
/* The same for a Q4 matrix. */
int rspnn_ref_matvec_q4(const rspnn_q4_matrix_t *m, const int16_t *x, int16_t *y);

/* A sentence naming what an RSPNN_ERR_* code refuses. */
const char *rspnn_strerror(int err);

/* Loads an rspnn weight file (RSPW, docs/weight-format.md) that the game has read into RAM
 * (DFS, the cartridge): checks it (magic, version, fields, CRC-32), refuses what the overlay
 * cannot run (matrices wider than RSPNN_MAX_COLS; Q8 and Q4 models both run) and allocates the generator's
 * workspace (two staggered KV-cache windows, as `rspnn generate` runs; 262 KiB for the demo
 * model). `file` must be 8-byte aligned and stay valid and unchanged while loaded; rspnn_init
 * must have been called. 0, or an RSPNN_ERR_* with rspnn_error_detail() saying why. */
int rspnn_model_load(const void *file, uint32_t size);
/* Frees the workspace (after waiting for rspnn's queued commands). */
void rspnn_model_unload(void);

/* Starts answering `prompt` (`len` bytes, copied): greedy bytes as `rspnn generate --prompt
 * P --max MAX [--stop-at-newline]` prints them. Forgets any earlier answer (waiting for its
 * queued commands first). 0 or an RSPNN_ERR_*. */
int rspnn_generate_begin(const char *prompt, uint32_t len, uint32_t max, uint32_t flags);
/* Never blocks: RSPNN_BUSY while the RSP computes; else runs the CPU part of the model up to
 * the next matrix product, queues it on the RSP and returns RSPNN_BUSY, or returns the next
 * byte (0..255), RSPNN_DONE, or an RSPNN_ERR_*. Call it often (e.g. whenever the game has
 * nothing else to do); each call with the RSP done does at most one product's CPU work. */
int rspnn_generate_poll(void);

/* The last error's full text (the model's refusal, e.g. "checksum mismatch: ..."). */
const char *rspnn_error_detail(void);

#ifdef __cplusplus
}
#endif

#endif
