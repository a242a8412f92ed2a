// libdragon-chat: an ordinary libdragon game that answers questions with rspnn while it keeps
// drawing. Each frame rdpq clears the screen and moves a rectangle, and the question and the
// answer so far are printed with libdragon's built-in font; in between, the game polls rspnn,
// whose matrix products run on the RSP as rspq commands in the same queue as rdpq's
// (include/rspnn.h). Nothing waits for rspnn: a frame is drawn whenever display_try_get has a
// free buffer.
//
// Its IS-Viewer lines are what `cargo xtask libdragon-example` checks: every answer against
// host `rspnn generate --stop-at-newline` for the same model and prompt, the refusal of a
// truncated model, and that frames were drawn while each answer was generated.
#include <libdragon.h>
#include <rspnn.h>
#include <string.h>

#define MAX_ANSWER 64

// Short prompts in the demo model's corpus format (training/README.md "The corpus").
static const char *const PROMPTS[] = {
    "Q: Who are you?\nA:",
    "Q: What is the RSP?\nA:",
};
#define N_PROMPTS (sizeof PROMPTS / sizeof PROMPTS[0])

static uint32_t frames_drawn;

// Bytes as the ROM checks escape them (n64_demo::textgen::Escaped, which xtask applies to the
// host's answer): '\' doubled, newline as \n, printable ASCII as is, the rest as \xHH.
static void escape(const char *in, int len, char *out)
{
    for (int i = 0; i < len; i++) {
        unsigned char c = in[i];
        if (c == '\\') {
            *out++ = '\\';
            *out++ = '\\';
        } else if (c == '\n') {
            *out++ = '\\';
            *out++ = 'n';
        } else if (c >= 32 && c < 127) {
            *out++ = c;
        } else {
            out += sprintf(out, "\\x%02x", c);
        }
    }
    *out = 0;
}

// One frame: rdpq clears it and moves a rectangle (through rspq, between rspnn's commands);
// rdpq_detach_wait waits for the RSP and RDP to finish it (behind at most one queued rspnn
// command of RSPNN_MAX_RECORDS_PER_COMMAND records); then the CPU prints the text with
// libdragon's built-in font (graphics_draw_text) and shows the frame. In cen64, frames that
// printed with rdpq_text_printf (FONT_BUILTIN_DEBUG_MONO) never raised the RDP's SYNC_FULL
// interrupt, so rdpq_detach_wait and rdpq_detach_show never completed (docs/libdragon.md).
static void draw_frame(surface_t *fb, const char *prompt, const char *answer, int busy)
{
    int x = 16 + (frames_drawn * 3) % 240;
    rdpq_attach_clear(fb, NULL);
    rdpq_set_mode_fill(RGBA32(0x40, 0x80, 0xF0, 0xFF));
    rdpq_fill_rectangle(x, 200, x + 48, 216);
    rdpq_detach_wait();
    char line[48];
    sprintf(line, "rspnn chat on libdragon  frame %lu", (unsigned long)frames_drawn);
    graphics_draw_text(fb, 16, 24, line);
    // The prompt without its newline, the answer in lines of 36 characters.
    graphics_draw_text(fb, 16, 48, prompt);
    int len = strlen(answer);
    for (int row = 0; row * 36 < len || (row == 0 && busy); row++) {
        char part[40];
        int n = len - row * 36 < 36 ? len - row * 36 : 36;
        memcpy(part, answer + row * 36, n);
        part[n] = 0;
        if (busy && (row + 1) * 36 >= len)
            strcat(part, "_");
        graphics_draw_text(fb, 16, 80 + row * 12, part);
    }
    display_show(fb);
    frames_drawn++;
}

int main(void)
{
    debug_init_isviewer();
    debugf("libdragon-chat: main reached\n");
    dfs_init(DFS_DEFAULT_LOCATION);
    display_init(RESOLUTION_320x240, DEPTH_16_BPP, 2, GAMMA_NONE, FILTERS_RESAMPLE);
    rdpq_init();
    int err = rspnn_init();
    if (err) {
        // An overlay assembled against another libdragon: the message names both.
        debugf("rspnn_init: %s\n", rspnn_strerror(err));
        debugf("@@rspnn:done@@\n");
        while (1) {}
    }

    int size = 0;
    void *model = asset_load("rom:/nibble-4l-q8.rspw", &size);
    debugf("model bytes=%d\n", size);

    // Bad input first: a truncated file is refused with the reason, nothing loaded.
    err = rspnn_model_load(model, 1000);
    debugf("truncated: %s: %s\n", rspnn_strerror(err), rspnn_error_detail());

    err = rspnn_model_load(model, size);
    if (err) {
        debugf("load: %s: %s\n", rspnn_strerror(err), rspnn_error_detail());
        debugf("@@rspnn:done@@\n");
        while (1) {}
    }
    debugf("model loaded\n");

    for (unsigned p = 0; p < N_PROMPTS; p++) {
        const char *prompt = PROMPTS[p];
        char answer[MAX_ANSWER + 1] = "";
        int len = 0;
        uint32_t frames_before = frames_drawn, polls = 0, busy = 0;
        // Where the time goes: in the polls that did work (the CPU part of the model and the
        // queueing, thousands of ticks each), told from the polls that only found the RSP busy
        // (one syncpoint check, tens of ticks) by a 1,000-tick (21 us) threshold; and drawing
        // frames (rdpq_detach_wait waits for the RSP and RDP, then the CPU's text).
        uint64_t work_ticks = 0, draw_ticks = 0;
        uint32_t work_polls = 0;
        uint64_t start = get_ticks();
        err = rspnn_generate_begin(prompt, strlen(prompt), MAX_ANSWER, RSPNN_STOP_AT_NEWLINE);
        while (!err) {
            uint64_t t0 = get_ticks();
            int c = rspnn_generate_poll();
            uint64_t dt = get_ticks() - t0;
            if (dt >= 1000) {
                work_ticks += dt;
                work_polls++;
            }
            polls++;
            if (c >= 0 && c <= 255) {
                answer[len++] = c;
                answer[len] = 0;
            } else if (c == RSPNN_DONE) {
                break;
            } else if (c == RSPNN_BUSY) {
                busy++;
            } else {
                err = c;
            }
            // The game goes on: a frame whenever a framebuffer is free.
            surface_t *fb = display_try_get();
            if (fb) {
                uint64_t t1 = get_ticks();
                draw_frame(fb, prompt, answer, 1);
                draw_ticks += get_ticks() - t1;
            }
        }
        uint32_t ticks = (uint32_t)(get_ticks() - start);
        if (err)
            debugf("prompt %u: %s: %s\n", p, rspnn_strerror(err), rspnn_error_detail());
        char esc[4 * MAX_ANSWER + 1];
        escape(answer, len, esc);
        debugf("answer %u=\"%s\"\n", p, esc);
        debugf("stats %u: bytes=%d frames=%lu polls=%lu busy=%lu cpu_ticks=%lu work_ticks=%lu "
               "work_polls=%lu draw_ticks=%lu\n", p, len, (unsigned long)(frames_drawn - frames_before),
               (unsigned long)polls, (unsigned long)busy, (unsigned long)ticks,
               (unsigned long)work_ticks, (unsigned long)work_polls, (unsigned long)draw_ticks);
        // Show the finished answer for a frame.
        draw_frame(display_get(), prompt, answer, 0);
    }
    rspnn_model_unload();
    debugf("@@rspnn:done@@\n");
    while (1) {}
}
