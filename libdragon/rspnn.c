// rspnn's C API over its rspq overlay (include/rspnn.h). Only C touches libdragon: the Rust half
// (the scalar reference) is called through o64 -> o32 thunks and never calls back.
#include <libdragon.h>
#include <malloc.h>
#include <stdlib.h>
#include "rspnn.h"

DEFINE_RSP_UCODE(rsp_rspnn);

// Command ids of rsp_rspnn.S's overlay header, in order.
#define RSPNN_CMD_MATVEC_Q8 0x0
#define RSPNN_CMD_MATVEC_Q4 0x1

// Which libdragon the overlay was assembled against and which one the game links (rspnn.mk
// passes both; a game built without rspnn.mk gets "unknown"). Only used to name them.
#ifndef RSPNN_OVERLAY_LIBDRAGON
#define RSPNN_OVERLAY_LIBDRAGON "unknown"
#endif
#ifndef RSPNN_GAME_LIBDRAGON
#define RSPNN_GAME_LIBDRAGON "unknown"
#endif

static uint32_t rspnn_overlay_id;
static int rspnn_ready;
static char rspnn_mismatch[320];

// CRC-32 (IEEE, reflected 0xEDB88320): names an rspq core in the mismatch message.
static uint32_t rspnn_crc32(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

int rspnn_init(void)
{
    if (rspnn_ready)
        return RSPNN_OK;
    rspq_init();
    // rspq_overlay_register asserts (stops the game) unless the overlay begins with the running
    // rspq core, text and data, byte for byte: the same comparison, made first, becomes an error
    // the game can report.
    extern uint8_t rsp_queue_text_start[], rsp_queue_text_end[];
    extern uint8_t rsp_queue_data_start[], rsp_queue_data_end[];
    uint32_t text = rsp_queue_text_end - rsp_queue_text_start;
    uint32_t data = rsp_queue_data_end - rsp_queue_data_start;
    uint8_t *ovl_text = rsp_rspnn.code, *ovl_data = rsp_rspnn.data;
    uint32_t ovl_text_size = (uint8_t *)rsp_rspnn.code_end - ovl_text;
    uint32_t ovl_data_size = (uint8_t *)rsp_rspnn.data_end - ovl_data;
    if (ovl_text_size < text || ovl_data_size < data ||
        memcmp(ovl_text, rsp_queue_text_start, text) != 0 ||
        memcmp(ovl_data, rsp_queue_data_start, data) != 0) {
        uint32_t t = ovl_text_size < text ? ovl_text_size : text;
        uint32_t d = ovl_data_size < data ? ovl_data_size : data;
        snprintf(rspnn_mismatch, sizeof rspnn_mismatch,
                 "rspnn's overlay was assembled against another libdragon (%s: rspq core "
                 "crc32 %08lx/%08lx) than the game runs (%s: %08lx/%08lx, text/data); "
                 "rebuild it with the game's libdragon (rspnn.mk)",
                 RSPNN_OVERLAY_LIBDRAGON, (unsigned long)rspnn_crc32(ovl_text, t),
                 (unsigned long)rspnn_crc32(ovl_data, d), RSPNN_GAME_LIBDRAGON,
                 (unsigned long)rspnn_crc32(rsp_queue_text_start, text),
                 (unsigned long)rspnn_crc32(rsp_queue_data_start, data));
        return RSPNN_ERR_LIBDRAGON;
    }
    rspnn_overlay_id = rspq_overlay_register(&rsp_rspnn);
    rspnn_ready = 1;
    return RSPNN_OK;
}

void rspnn_close(void)
{
    if (!rspnn_ready)
        return;
    rspq_overlay_unregister(rspnn_overlay_id);
    rspnn_ready = 0;
}

const char *rspnn_strerror(int err)
{
    switch (err) {
    case RSPNN_OK: return "ok";
    case RSPNN_ERR_SHAPE: return "matrix rows must be a multiple of 8 (at most 16384), cols a "
                                 "multiple of 32, out_shift at most 15";
    case RSPNN_ERR_DMEM: return "matrix cols above RSPNN_MAX_COLS (512): x would not fit the "
                                "overlay's DMEM (1,024 bytes of x in rspq's 3,584-byte overlay "
                                "budget)";
    case RSPNN_ERR_LIBDRAGON: return rspnn_mismatch[0] ? rspnn_mismatch
                                     : "rspnn's overlay was assembled against another libdragon";
    case RSPNN_ERR_ALIGN: return "matrix records and x must be 8-byte aligned, y 16-byte aligned";
    case RSPNN_ERR_NOT_INIT: return "rspnn_init was not called";
    case RSPNN_ERR_NULL: return "a NULL pointer argument";
    case RSPNN_ERR_MODEL: return "not a valid rspnn model file";
    case RSPNN_ERR_UNSUPPORTED: return "a model rspnn's RSP overlay cannot run";
    case RSPNN_ERR_NO_MEMORY: return "no memory for rspnn's workspace";
    case RSPNN_ERR_NO_MODEL: return "no model is loaded (rspnn_model_load)";
    case RSPNN_ERR_PROMPT: return "bad prompt or max, or nothing begun (rspnn_generate_begin)";
    case RSPNN_ERR_GENERATE: return "the model failed while generating";
    default: return "unknown rspnn error";
    }
}

// Set while rspnn_generate_poll submits: the loaded model was written back from the data cache
// once, at rspnn_model_load, and nothing writes it after, so its records need no write-back per
// product (about 17 cache operations per record, some 3,200 records per token and lane).
static int rspnn_records_written_back;

// Both submits: the Q8 and Q4 matrix types have the same fields; only the command and the
// record size differ (the overlay's two commands take the same words).
static int rspnn_matvec_submit(uint32_t command, uint32_t record_bytes,
                               const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y)
{
    if (!rspnn_ready)
        return RSPNN_ERR_NOT_INIT;
    if (!m || !m->records || !x || !y)
        return RSPNN_ERR_NULL;
    if (m->rows == 0 || m->rows % 8 != 0 || m->rows > (1u << 14) || m->cols == 0 ||
        m->cols % 32 != 0 || m->out_shift > 15)
        return RSPNN_ERR_SHAPE;
    if (m->cols > RSPNN_MAX_COLS)
        return RSPNN_ERR_DMEM;
    if (((uint32_t)m->records & 7) || ((uint32_t)x & 7) || ((uint32_t)y & 15))
        return RSPNN_ERR_ALIGN;

    uint32_t blocks = m->cols / 32;
    uint32_t groups = m->rows / 8;
    // The RSP reads RDRAM by DMA: what the CPU wrote must leave the data cache first, and y's
    // lines must not be in it (a later eviction would overwrite the RSP's results).
    if (!rspnn_records_written_back)
        data_cache_hit_writeback(m->records, groups * blocks * record_bytes);
    data_cache_hit_writeback(x, m->cols * 2);
    data_cache_hit_writeback_invalidate(y, m->rows * 2);

    uint32_t groups_per_command = RSPNN_MAX_RECORDS_PER_COMMAND / blocks;
    uint32_t records = PhysicalAddr(m->records);
    uint32_t y_addr = PhysicalAddr(y);
    for (uint32_t g = 0; g < groups; g += groups_per_command) {
        uint32_t n = groups - g < groups_per_command ? groups - g : groups_per_command;
        rspq_write(rspnn_overlay_id, command,
                   (m->out_shift << 16) | (n << 8) | blocks,
                   records, PhysicalAddr(x), y_addr);
        records += n * blocks * record_bytes;
        y_addr += n * 16;
    }
    return RSPNN_OK;
}

int rspnn_matvec_q8_submit(const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y)
{
    return rspnn_matvec_submit(RSPNN_CMD_MATVEC_Q8, RSPNN_Q8_RECORD_BYTES, m, x, y);
}

int rspnn_matvec_q4_submit(const rspnn_q4_matrix_t *m, const int16_t *x, int16_t *y)
{
    return rspnn_matvec_submit(RSPNN_CMD_MATVEC_Q4, RSPNN_Q4_RECORD_BYTES,
                               (const rspnn_q8_matrix_t *)m, x, y);
}

// --- Text generation: the Rust generator (libdragon/reference/src/generate.rs) runs the CPU
// part of each token and hands back each matrix product, which is queued here on the RSP.

// The o64 entry points of rspnn_thunks.S (32-bit arguments and results only).
int rspnn_model_check_o64(const void *file, uint32_t size, uint32_t *ws_bytes);
int rspnn_model_init_o64(const void *file, uint32_t size, void *ws, uint32_t ws_bytes);
int rspnn_generate_begin_o64(const char *prompt, uint32_t len, uint32_t max, uint32_t stop);
// The product the generator needs; its first four fields are an rspnn_q8_matrix_t (the same
// fields as rspnn_q4_matrix_t; the Rust side's generate::MatvecJob, 32-bit fields in both
// ABIs), `bits` says which (8 or 4: a Q4 model's layers are Q4, its tied head Q8).
typedef struct {
    rspnn_q8_matrix_t m;
    const int16_t *x;
    int16_t *y;
    uint32_t bits;
} rspnn_matvec_job_t;
int rspnn_generate_next_o64(rspnn_matvec_job_t *job);
// generate.rs's code for "the job is filled, queue it".
#define RSPNN_NEXT_MATVEC 258

static void *rspnn_workspace;
static int rspnn_model_loaded;
static int rspnn_waiting;
static rspq_syncpoint_t rspnn_sync;

// The RSP may still be writing into the workspace: wait before the CPU reuses or frees it.
static void rspnn_drain(void)
{
    if (rspnn_waiting) {
        rspq_syncpoint_wait(rspnn_sync);
        rspnn_waiting = 0;
    }
}

void rspnn_model_unload(void)
{
    rspnn_drain();
    rspnn_model_loaded = 0;
    free(rspnn_workspace);
    rspnn_workspace = NULL;
}

int rspnn_model_load(const void *file, uint32_t size)
{
    if (!rspnn_ready)
        return RSPNN_ERR_NOT_INIT;
    rspnn_model_unload();
    uint32_t ws_bytes = 0;
    int err = rspnn_model_check_o64(file, size, &ws_bytes);
    if (err)
        return err;
    // 16-byte aligned: the RSP writes whole data-cache lines of the outputs (rspnn_matvec_q8_submit).
    rspnn_workspace = memalign(16, ws_bytes);
    if (!rspnn_workspace)
        return RSPNN_ERR_NO_MEMORY;
    // The RSP reads the model by DMA: one write-back now instead of one per product.
    data_cache_hit_writeback(file, size);
    err = rspnn_model_init_o64(file, size, rspnn_workspace, ws_bytes);
    if (err) {
        free(rspnn_workspace);
        rspnn_workspace = NULL;
        return err;
    }
    rspnn_model_loaded = 1;
    return RSPNN_OK;
}

int rspnn_generate_begin(const char *prompt, uint32_t len, uint32_t max, uint32_t flags)
{
    if (!rspnn_model_loaded)
        return RSPNN_ERR_NO_MODEL;
    rspnn_drain();
    return rspnn_generate_begin_o64(prompt, len, max, flags & RSPNN_STOP_AT_NEWLINE);
}

int rspnn_generate_poll(void)
{
    if (!rspnn_model_loaded)
        return RSPNN_ERR_NO_MODEL;
    if (rspnn_waiting) {
        if (!rspq_syncpoint_check(rspnn_sync))
            return RSPNN_BUSY;
        rspnn_waiting = 0;
    }
    rspnn_matvec_job_t job;
    int r = rspnn_generate_next_o64(&job);
    if (r != RSPNN_NEXT_MATVEC)
        return r;
    rspnn_records_written_back = 1;
    int err = job.bits == 4
                  ? rspnn_matvec_submit(RSPNN_CMD_MATVEC_Q4, RSPNN_Q4_RECORD_BYTES, &job.m, job.x, job.y)
                  : rspnn_matvec_submit(RSPNN_CMD_MATVEC_Q8, RSPNN_Q8_RECORD_BYTES, &job.m, job.x, job.y);
    rspnn_records_written_back = 0;
    if (err)
        return err;
    rspnn_sync = rspq_syncpoint_new();
    // Without a flush the commands may sit in rspq's buffer until something else is queued.
    rspq_flush();
    rspnn_waiting = 1;
    return RSPNN_BUSY;
}
