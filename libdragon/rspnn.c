// rspnn's C API over its rspq overlay (include/rspnn.h). Only C touches libdragon: the Rust half
// (the scalar reference) is called through o64 -> o32 thunks and never calls back.
#include <libdragon.h>
#include "rspnn.h"

DEFINE_RSP_UCODE(rsp_rspnn);

// Command ids of rsp_rspnn.S's overlay header, in order.
#define RSPNN_CMD_MATVEC_Q8 0x0

static uint32_t rspnn_overlay_id;
static int rspnn_ready;

void rspnn_init(void)
{
    if (rspnn_ready)
        return;
    rspq_init();
    rspnn_overlay_id = rspq_overlay_register(&rsp_rspnn);
    rspnn_ready = 1;
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
    case RSPNN_ERR_SHAPE: return "matrix rows must be a multiple of 8, cols a multiple of 32 "
                                 "and at most RSPNN_MAX_COLS (512), out_shift at most 15";
    case RSPNN_ERR_ALIGN: return "matrix records and x must be 8-byte aligned, y 16-byte aligned";
    case RSPNN_ERR_NOT_INIT: return "rspnn_init was not called";
    case RSPNN_ERR_NULL: return "a NULL matrix, records, x or y";
    default: return "unknown rspnn error";
    }
}

int rspnn_matvec_q8_submit(const rspnn_q8_matrix_t *m, const int16_t *x, int16_t *y)
{
    if (!rspnn_ready)
        return RSPNN_ERR_NOT_INIT;
    if (!m || !m->records || !x || !y)
        return RSPNN_ERR_NULL;
    if (m->rows == 0 || m->rows % 8 != 0 || m->rows > (1u << 14) || m->cols == 0 ||
        m->cols % 32 != 0 || m->cols > RSPNN_MAX_COLS || m->out_shift > 15)
        return RSPNN_ERR_SHAPE;
    if (((uint32_t)m->records & 7) || ((uint32_t)x & 7) || ((uint32_t)y & 15))
        return RSPNN_ERR_ALIGN;

    uint32_t blocks = m->cols / 32;
    uint32_t groups = m->rows / 8;
    // The RSP reads RDRAM by DMA: what the CPU wrote must leave the data cache first, and y's
    // lines must not be in it (a later eviction would overwrite the RSP's results).
    data_cache_hit_writeback(m->records, groups * blocks * RSPNN_Q8_RECORD_BYTES);
    data_cache_hit_writeback(x, m->cols * 2);
    data_cache_hit_writeback_invalidate(y, m->rows * 2);

    uint32_t groups_per_command = RSPNN_MAX_RECORDS_PER_COMMAND / blocks;
    uint32_t records = PhysicalAddr(m->records);
    uint32_t y_addr = PhysicalAddr(y);
    for (uint32_t g = 0; g < groups; g += groups_per_command) {
        uint32_t n = groups - g < groups_per_command ? groups - g : groups_per_command;
        rspq_write(rspnn_overlay_id, RSPNN_CMD_MATVEC_Q8,
                   (m->out_shift << 16) | (n << 8) | blocks,
                   records, PhysicalAddr(x), y_addr);
        records += n * blocks * RSPNN_Q8_RECORD_BYTES;
        y_addr += n * 16;
    }
    return RSPNN_OK;
}
