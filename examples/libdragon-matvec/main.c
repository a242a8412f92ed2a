// libdragon-matvec: rspnn's Q8 and Q4 matvecs on the RSP as an rspq overlay (libdragon/rsp_rspnn.S,
// assembled by this game's libdragon), while rdpq draws every frame through the same rspq, and
// compared with rspnn's scalar reference (Rust kernels::matvec, linked as a static library and
// called through an o64 -> o32 thunk). Each check prints what it measured; `cargo xtask
// libdragon-matvec` compares the lines, and recomputes every checksum on the host.
#include <libdragon.h>
#include <rspnn.h>

#define FILL_RGBA16 0xF801 // red, alpha set: RGBA5551
#define FRAMES 6

// The matrices: shapes that cover one command, several commands and a partial last command
// (RSPNN_MAX_RECORDS_PER_COMMAND / (cols / 32) row groups per command).
typedef struct {
    uint32_t rows, cols, out_shift, seed;
} shape_t;
static const shape_t SHAPES[3] = {
    {64, 512, 1, 1},  // 16 blocks: 4 row groups per command, 2 commands
    {24, 96, 0, 2},   // 3 blocks: 1 command
    {136, 256, 3, 3}, // 8 blocks: 8 row groups per command, 3 commands (the last one 1 group)
};
// Q4 matrices (RSPNN_CMD_MATVEC_Q4), after the Q8 frames: 2 commands of 4 row groups each,
// and 1 command of 5 blocks.
#define Q4_FRAMES 2
static const shape_t Q4_SHAPES[Q4_FRAMES] = {
    {64, 512, 2, 4}, // 16 blocks: 4 row groups per command, 2 commands
    {40, 160, 0, 5}, // 5 blocks: 12 row groups per command, 1 command
};
#define MAX_ROWS 136
#define MAX_COLS 512
#define MAX_RECORD_BYTES (136 / 8 * 256 / 32 * RSPNN_Q8_RECORD_BYTES)

static uint8_t records[MAX_RECORD_BYTES] __attribute__((aligned(16)));
static int16_t x[MAX_COLS] __attribute__((aligned(16)));
static int16_t y_rsp[MAX_ROWS] __attribute__((aligned(16)));
static int16_t y_ref[MAX_ROWS] __attribute__((aligned(16)));

// xorshift32: the same generator is in xtask (libdragon_matvec.rs), which recomputes the
// expected checksums on the host with kernels::matvec.
static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

// Weights over the whole int8 range, scales below 0x1000, x in -1024..1023: some h_b and some
// outputs saturate, so the clamps are compared too.
// Q4 records get random weight bytes too (every nibble, -8..7), then the scales.
static void fill_bits(const shape_t *s, int record_bytes)
{
    int weight_bytes = record_bytes - 16;
    rng_state = 0x9E3779B9u * s->seed;
    uint32_t n = s->rows / 8 * s->cols / 32;
    for (uint32_t r = 0; r < n; r++) {
        uint8_t *rec = records + r * record_bytes;
        for (int i = 0; i < weight_bytes; i++)
            rec[i] = rng() >> 24;
        for (int j = 0; j < 8; j++) {
            uint16_t scale = rng() >> 20;
            rec[weight_bytes + 2 * j] = scale >> 8;
            rec[weight_bytes + 2 * j + 1] = scale & 0xFF;
        }
    }
    for (uint32_t c = 0; c < s->cols; c++)
        x[c] = (int16_t)((rng() >> 21) - 1024);
}

static void fill(const shape_t *s)
{
    fill_bits(s, RSPNN_Q8_RECORD_BYTES);
}

static uint32_t checksum(const int16_t *y, uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum = sum * 31 + (uint16_t)y[i];
    return sum;
}

// Under load (see main): frames drawn, and matvecs of SHAPES[2] (3 commands each) per frame.
#define UNDER_LOAD_FRAMES 30
#define UNDER_LOAD_MATVECS 4

static volatile uint32_t vblanks;
static void count_vblank(void)
{
    vblanks++;
}

static uint16_t pixel_at(surface_t *fb, int px, int py)
{
    return ((uint16_t *)fb->buffer)[py * (fb->stride / 2) + px];
}

// One frame: rdpq's commands before and after rspnn's in the same queue, the matvec of shape s
// (Q4 records when q4, else Q8) on the RSP, then the same product by the Rust reference; prints
// the frame's line (tag "q4 " for Q4) and returns whether the two agree.
static int check_frame(const char *tag, int frame, const shape_t *s, int q4)
{
    fill_bits(s, q4 ? RSPNN_Q4_RECORD_BYTES : RSPNN_Q8_RECORD_BYTES);
    for (uint32_t i = 0; i < s->rows; i++)
        y_rsp[i] = 0x5555; // not a value the matvec leaves by accident

    surface_t *fb = display_get();
    rdpq_attach_clear(fb, NULL);
    rdpq_set_mode_fill(color_from_packed16(FILL_RGBA16));
    rdpq_fill_rectangle(16, 16, 64, 48);
    rspnn_q8_matrix_t m8 = {records, s->rows, s->cols, s->out_shift};
    rspnn_q4_matrix_t m4 = {records, s->rows, s->cols, s->out_shift};
    int err = q4 ? rspnn_matvec_q4_submit(&m4, x, y_rsp) : rspnn_matvec_q8_submit(&m8, x, y_rsp);
    if (err)
        debugf("submit: %s\n", rspnn_strerror(err));
    rspq_syncpoint_t done = rspq_syncpoint_new();
    rdpq_fill_rectangle(80, 16, 128, 48);
    rdpq_detach_wait();
    int reached = rspq_syncpoint_check(done);

    int ref_err = q4 ? rspnn_ref_matvec_q4(&m4, x, y_ref) : rspnn_ref_matvec_q8(&m8, x, y_ref);
    uint32_t differ = 0, first = 0;
    for (uint32_t i = 0; i < s->rows; i++) {
        if (y_rsp[i] != y_ref[i] && differ++ == 0)
            first = i;
    }
    if (differ)
        debugf("%srow %lu: rsp=%d ref=%d\n", tag, (unsigned long)first, y_rsp[first], y_ref[first]);
    data_cache_hit_invalidate(fb->buffer, fb->stride * fb->height);
    debugf("%sframe %d %lux%lu k=%lu ref=%d sync=%d y=%08lx identical=%s pixels=%04x,%04x,%04x\n",
           tag, frame, (unsigned long)s->rows, (unsigned long)s->cols,
           (unsigned long)s->out_shift, ref_err, reached,
           (unsigned long)checksum(y_ref, s->rows), differ ? "no" : "yes",
           pixel_at(fb, 20, 20), pixel_at(fb, 100, 20), pixel_at(fb, 200, 100));
    display_show(fb);
    return differ == 0;
}

int main(void)
{
    debug_init_isviewer();
    debugf("libdragon-matvec: main reached\n");

    display_init(RESOLUTION_320x240, DEPTH_16_BPP, 2, GAMMA_NONE, FILTERS_RESAMPLE);
    rdpq_init();
    // A game reports rspnn_init's error and goes on without rspnn (here: the end line, so the
    // check of a mismatched overlay, built with RSPNN_OVERLAY_N64_INST, ends at once).
    int init_err = rspnn_init();
    if (init_err) {
        debugf("rspnn_init: %s\n", rspnn_strerror(init_err));
        debugf("@@rspnn:done@@\n");
        while (1) {}
    }

    int identical_all = 1;
    for (int frame = 0; frame < FRAMES; frame++)
        identical_all &= check_frame("", frame, &SHAPES[frame % 3], 0);
    // Q4 matrices the same way, with rspnn_matvec_q4_submit.
    for (int frame = 0; frame < Q4_FRAMES; frame++)
        identical_all &= check_frame("q4 ", frame, &Q4_SHAPES[frame], 1);

    // Under load: the way a game uses rspnn. Every frame queues its rdpq drawing and, between
    // two rdpq fills, UNDER_LOAD_MATVECS matvecs (each split into short rspnn commands) and
    // never waits for them; rspq runs rdpq's and rspnn's commands in queue order, switching
    // overlays between them. The VI interrupt counts the vertical blanks meanwhile: as many
    // frames as vblanks means rdpq kept the full frame rate while rspnn ran.
    {
        const shape_t *s = &SHAPES[2];
        rspnn_q8_matrix_t m = {records, s->rows, s->cols, s->out_shift};
        fill(s);
        rspnn_ref_matvec_q8(&m, x, y_ref);
        register_VI_handler(count_vblank);
        uint32_t vblanks_start = vblanks, submitted = 0, commands = 0;
        uint32_t per_matvec = (s->rows / 8 + RSPNN_MAX_RECORDS_PER_COMMAND / (s->cols / 32) - 1) /
                              (RSPNN_MAX_RECORDS_PER_COMMAND / (s->cols / 32));
        surface_t *fb = NULL;
        for (int frame = 0; frame < UNDER_LOAD_FRAMES; frame++) {
            fb = display_get();
            rdpq_attach_clear(fb, NULL);
            rdpq_set_mode_fill(color_from_packed16(FILL_RGBA16));
            rdpq_fill_rectangle(16, 16, 64, 48);
            for (int i = 0; i < UNDER_LOAD_MATVECS; i++) {
                if (rspnn_matvec_q8_submit(&m, x, y_rsp) == RSPNN_OK) {
                    submitted++;
                    commands += per_matvec;
                }
            }
            rdpq_fill_rectangle(80, 16, 128, 48);
            rdpq_detach_show();
        }
        rspq_wait();
        uint32_t vblanks_used = vblanks - vblanks_start;
        unregister_VI_handler(count_vblank);
        uint32_t differ = 0;
        for (uint32_t i = 0; i < s->rows; i++)
            differ += y_rsp[i] != y_ref[i];
        data_cache_hit_invalidate(fb->buffer, fb->stride * fb->height);
        debugf("under load: frames=%d matvecs=%lu commands=%lu identical=%s pixels=%04x,%04x,%04x\n",
               UNDER_LOAD_FRAMES, (unsigned long)submitted, (unsigned long)commands,
               differ ? "no" : "yes", pixel_at(fb, 20, 20), pixel_at(fb, 100, 20),
               pixel_at(fb, 200, 100));
        debugf("under load: vblanks=%lu\n", (unsigned long)vblanks_used);
    }

    // Bad input is refused before anything is queued, with the argument named.
    rspnn_q8_matrix_t too_wide = {records, 8, 544, 0};
    debugf("cols=544: %s\n", rspnn_strerror(rspnn_matvec_q8_submit(&too_wide, x, y_rsp)));
    rspnn_q8_matrix_t ok = {records, 8, 32, 0};
    debugf("y+1: %s\n", rspnn_strerror(rspnn_matvec_q8_submit(&ok, x, y_rsp + 1)));

    debugf("identical=%s\n", identical_all ? "yes" : "no");
    debugf("@@rspnn:done@@\n");
    while (1) {}
}
