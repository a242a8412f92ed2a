// libdragon-chat: an ordinary libdragon game that answers questions with rspnn while it keeps
// drawing. Each frame rdpq clears the screen and moves a rectangle, and the question and the
// answer so far are printed by rdpq (rdpq_text_printf, libdragon's built-in font); in between, the game polls rspnn,
// whose matrix products run on the RSP as rspq commands in the same queue as rdpq's
// (include/rspnn.h). Nothing waits for rspnn: a frame is drawn whenever display_try_get has a
// free buffer. Meanwhile libdragon's mixer plays a tune of our own (a triangle wave synthesised
// by a waveform_t read callback): every loop iteration fills whatever audio buffers the AI has
// freed, as a game does, and mixer_poll runs libdragon's rsp_mixer overlay through rspq's
// high-priority queue, between two of rspnn's commands.
//
// Its IS-Viewer lines are what `cargo xtask libdragon-example` checks: every answer against
// host `rspnn generate --stop-at-newline` for the same model and prompt, the refusal of a
// truncated model, that frames were drawn while each answer was generated, and that the audio
// kept up with the emulated time (the `audio N:` lines).
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

// ---- Audio: libdragon's mixer playing a waveform synthesised here ----------------------------

#define AUDIO_HZ 32000
#define AUDIO_BUFFERS 4
// The tune's amplitude; the mixer plays it at half volume on both sides (mixer_ch_set_vol), so
// the mixed output's peak is about TUNE_AMPLITUDE / 2 (xtask checks it within bounds).
#define TUNE_AMPLITUDE 12000
// A note every 4,000 samples (1/8 s at 32 kHz), cycling through a C major arpeggio.
#define NOTE_SAMPLES 4000
// The notes' phase steps per sample, in 1/2^32ths of a period (C4 E4 G4 C5 G4 E4).
#define STEP(hz) ((uint32_t)(((uint64_t)(hz) << 32) / AUDIO_HZ))
static const uint32_t NOTE_STEP[] = {STEP(262), STEP(330), STEP(392), STEP(523), STEP(392), STEP(330)};
#define N_NOTES (sizeof NOTE_STEP / sizeof NOTE_STEP[0])

// The AI's status register (libdragon's audio.c uses the same bit): BUSY (bit 30) is set while
// the AI is playing a buffer, with or without one more queued behind it.
#define AI_STATUS_REG ((volatile uint32_t *)0xA450000C)
#define AI_STATUS_BUSY (1u << 30)

// Counters over the whole run; each answer reports its differences.
static volatile uint32_t ai_interrupts;  // buffers the AI finished playing
static volatile uint32_t ai_dry;         // ...after which nothing was queued: the audio ran dry
static uint32_t audio_mixed;             // buffers mixed by mixer_poll and handed to the AI
static uint32_t mix_max_ticks;           // the longest mixer_poll (it waits for rsp_mixer)
static uint32_t read_ticks;              // time in tune_read during the current mixer_poll
static uint32_t read_max_ticks;          // ...during the longest mixer_poll
static int16_t mix_peak;                 // the largest |sample| the mixer wrote

// Runs on every AI interrupt, before libdragon's own audio handler (register_AI_handler puts
// the newest handler first), so the status still says whether the AI had a buffer queued
// behind the one that just ended: in cen64 the interrupt comes at the end of each buffer and
// BUSY is clear if none followed. That is an underrun: the game did not fill buffers in time.
static void count_ai_interrupt(void)
{
    ai_interrupts++;
    if (!(*AI_STATUS_REG & AI_STATUS_BUSY))
        ai_dry++;
}

// The waveform's read callback: a triangle wave, 16-bit mono, computed from the absolute
// position wpos so that a seek (the mixer's first read) lands on the right note. The phase
// pos * step wraps by itself in 32 bits; the divisions happen once per run of one note (a
// 64-bit division per sample made mixer_poll take 2.2 ms of CPU time).
static void tune_read(void *ctx, samplebuffer_t *sbuf, int wpos, int wlen, bool seeking)
{
    (void)ctx;
    (void)seeking;
    uint32_t t0 = get_ticks();
    int16_t *out = samplebuffer_append(sbuf, wlen);
    uint32_t pos = wpos;
    for (int i = 0; i < wlen;) {
        uint32_t step = NOTE_STEP[(pos / NOTE_SAMPLES) % N_NOTES];
        int run = NOTE_SAMPLES - pos % NOTE_SAMPLES;
        if (run > wlen - i)
            run = wlen - i;
        for (int end = i + run; i < end; i++, pos++) {
            int32_t phase = (pos * step) >> 16;  // 1/65536ths of a period
            // Rising over the first half of the period, falling over the second.
            int32_t tri = phase < 0x8000 ? phase * 2 - 0x8000 : 0x17FFF - phase * 2;
            out[i] = (int16_t)((tri * TUNE_AMPLITUDE) >> 15);
        }
    }
    read_ticks += (uint32_t)get_ticks() - t0;
}

static waveform_t tune = {
    .name = "tune",
    .bits = 16,
    .channels = 1,
    .frequency = AUDIO_HZ,
    .len = WAVEFORM_UNKNOWN_LEN,
    .loop_len = 0,
    .read = tune_read,
    .ctx = NULL,
};

static void audio_start(void)
{
    audio_init(AUDIO_HZ, AUDIO_BUFFERS);
    mixer_init(1);
    mixer_ch_set_vol(0, 0.5f, 0.5f);
    mixer_ch_play(0, &tune);
    register_AI_handler(count_ai_interrupt);
    debugf("audio: freq=%d buf_samples=%d buffers=%d\n", audio_get_frequency(),
           audio_get_buffer_length(), AUDIO_BUFFERS);
}

// What a game does every frame (here: every loop iteration): mix into every free buffer.
static void audio_fill(void)
{
    while (audio_can_write()) {
        int16_t *buf = audio_write_begin();
        int n = audio_get_buffer_length();
        read_ticks = 0;
        uint32_t t0 = get_ticks();
        mixer_poll(buf, n);
        uint32_t dt = get_ticks() - t0;
        if (dt > mix_max_ticks) {
            mix_max_ticks = dt;
            read_max_ticks = read_ticks;
        }
        // The buffers are uncached and mixer_poll has waited for the RSP: look at every 8th
        // stereo sample's left channel.
        for (int i = 0; i < 2 * n; i += 16) {
            int16_t v = buf[i] < 0 ? -buf[i] : buf[i];
            if (v > mix_peak)
                mix_peak = v;
        }
        audio_write_end();
        audio_mixed++;
    }
}

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

// The font rdpq_text_printf draws with (registered in main).
#define FONT_MONO 1

// One frame, all of it drawn by the RDP through rspq, between rspnn's commands: rdpq clears it,
// moves a rectangle and prints the text with libdragon's built-in font; rdpq_detach_show
// shows it when the RDP is done, so nothing here waits for the RSP, the RDP or rspnn.
// (In the cen64 from ../shared, frames with rdpq text never finished: its DP_END kept the
// rspq command id that rspq writes with the address; xtask builds cen64 with that fixed,
// docs/libdragon.md "rdpq text in cen64".)
static void draw_frame(surface_t *fb, const char *prompt, const char *answer, int busy)
{
    int x = 16 + (frames_drawn * 3) % 240;
    rdpq_attach_clear(fb, NULL);
    rdpq_set_mode_fill(RGBA32(0x40, 0x80, 0xF0, 0xFF));
    rdpq_fill_rectangle(x, 200, x + 48, 216);
    rdpq_text_printf(NULL, FONT_MONO, 16, 24, "rspnn chat on libdragon  frame %lu",
                     (unsigned long)frames_drawn);
    // The prompt (its newline starts the "A:" line), the answer in lines of 36 characters.
    rdpq_text_printf(NULL, FONT_MONO, 16, 48, "%s", prompt);
    int len = strlen(answer);
    for (int row = 0; row * 36 < len || (row == 0 && busy); row++) {
        int n = len - row * 36 < 36 ? len - row * 36 : 36;
        int last = (row + 1) * 36 >= len;
        rdpq_text_printf(NULL, FONT_MONO, 16, 80 + row * 12, "%.*s%s", n, answer + row * 36,
                         busy && last ? "_" : "");
    }
    rdpq_detach_show();
    frames_drawn++;
}

// Answers one prompt with the loaded model while the game goes on, and prints the answer and
// its figures, each line starting with `tag` ("" for the Q8 model, "q4 " for the Q4 one).
static void answer_prompt(const char *tag, unsigned p, const char *prompt)
{
    int err;
    char answer[MAX_ANSWER + 1] = "";
    int len = 0;
    uint32_t frames_before = frames_drawn, polls = 0, busy = 0;
    uint32_t mixed_before = audio_mixed, played_before = ai_interrupts, dry_before = ai_dry;
    mix_max_ticks = 0;
    read_max_ticks = 0;
    mix_peak = 0;
    // Where the time goes: in the polls that did work (the CPU part of the model and the
    // queueing, thousands of ticks each), told from the polls that only found the RSP busy
    // (one syncpoint check, tens of ticks) by a 1,000-tick (21 us) threshold; and drawing
    // frames (queueing rdpq's commands; rdpq_detach_show does not wait).
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
        // The game goes on: the audio, and a frame whenever a framebuffer is free.
        audio_fill();
        surface_t *fb = display_try_get();
        if (fb) {
            uint64_t t1 = get_ticks();
            draw_frame(fb, prompt, answer, 1);
            draw_ticks += get_ticks() - t1;
        }
    }
    uint32_t ticks = (uint32_t)(get_ticks() - start);
    if (err)
        debugf("%sprompt %u: %s: %s\n", tag, p, rspnn_strerror(err), rspnn_error_detail());
    char esc[4 * MAX_ANSWER + 1];
    escape(answer, len, esc);
    debugf("%sanswer %u=\"%s\"\n", tag, p, esc);
    debugf("%sstats %u: bytes=%d frames=%lu polls=%lu busy=%lu cpu_ticks=%lu work_ticks=%lu "
           "work_polls=%lu draw_ticks=%lu\n", tag, p, len, (unsigned long)(frames_drawn - frames_before),
           (unsigned long)polls, (unsigned long)busy, (unsigned long)ticks,
           (unsigned long)work_ticks, (unsigned long)work_polls, (unsigned long)draw_ticks);
    debugf("%saudio %u: mixed=%lu played=%lu dry=%lu mix_max_ticks=%lu read_ticks=%lu peak=%d\n", tag, p,
           (unsigned long)(audio_mixed - mixed_before),
           (unsigned long)(ai_interrupts - played_before),
           (unsigned long)(ai_dry - dry_before), (unsigned long)mix_max_ticks, (unsigned long)read_max_ticks, mix_peak);
    // Show the finished answer for a frame.
    draw_frame(display_get(), prompt, answer, 0);
}

int main(void)
{
    debug_init_isviewer();
    debugf("libdragon-chat: main reached\n");
    dfs_init(DFS_DEFAULT_LOCATION);
    display_init(RESOLUTION_320x240, DEPTH_16_BPP, 2, GAMMA_NONE, FILTERS_RESAMPLE);
    rdpq_init();
    rdpq_text_register_font(FONT_MONO, rdpq_font_load_builtin(FONT_BUILTIN_DEBUG_MONO));
    audio_start();
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

    for (unsigned p = 0; p < N_PROMPTS; p++)
        answer_prompt("", p, PROMPTS[p]);
    rspnn_model_unload();

    // The 2-layer Q4 model (models/nibble-2l-q4.rspw): its layers' products run as the
    // overlay's Q4 command, its tied head as the Q8 one.
    int q4_size = 0;
    void *q4_model = asset_load("rom:/nibble-2l-q4.rspw", &q4_size);
    debugf("q4 model bytes=%d\n", q4_size);
    err = rspnn_model_load(q4_model, q4_size);
    if (err) {
        debugf("q4 load: %s: %s\n", rspnn_strerror(err), rspnn_error_detail());
        debugf("@@rspnn:done@@\n");
        while (1) {}
    }
    debugf("q4 model loaded\n");
    answer_prompt("q4 ", 0, PROMPTS[0]);
    rspnn_model_unload();
    debugf("@@rspnn:done@@\n");
    while (1) {}
}
