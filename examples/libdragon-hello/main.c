// libdragon-hello: proves a libdragon SDK runs before anything of rspnn's goes into it.
// It uses what rspnn's overlay will rely on: rspq (commands, syncpoints), rdpq (the RDP draws
// into the framebuffer through rspq), debugf (IS-Viewer output), display and the timer.
// Each check prints what it measured; `cargo xtask libdragon-sdk --check` compares the lines.
#include <libdragon.h>

#define FRAMES 4
#define FILL_RGBA16 0xF801 // red, alpha set: RGBA5551
#define TEXT_X 100 // where rdpq prints "rspnn" (x, baseline y)
#define TEXT_Y 120

// libdragon never clears .bss itself: entrypoint.S relies on its IPL3 having zeroed all of RDRAM
// with RSP DMA from IMEM, in rows that wrap around inside IMEM. An emulator that lets such a DMA
// carry into DMEM (cen64 did, docs/libdragon.md "The layout-dependent fault") leaves every other
// 4 KiB of RDRAM holding IPL3 code, so .bss variables start non-zero wherever the layout puts
// them. 128 KiB spans 32 of those blocks, so this probe sees it whatever the layout. Its size also
// checks the SDK's small-data setting: with the Linux GCC's -G 0, libdragon's small globals land
// in .bss behind this array, beyond the 16-bit %gprel reach of entrypoint.S, and the link fails
// (docs/libdragon.md "small data"). (volatile: GCC may otherwise fold the reads of a static array
// nothing writes to the constant 0.)
#define BSS_PROBE_BYTES (128 * 1024)
static volatile uint8_t bss_probe[BSS_PROBE_BYTES];

int main(void)
{
    debug_init_isviewer();
    debugf("libdragon-hello: main reached\n");

    int zero = 0, first_nonzero = -1;
    for (int i = 0; i < BSS_PROBE_BYTES; i++) {
        if (bss_probe[i] == 0) zero++;
        else if (first_nonzero < 0) first_nonzero = i;
    }
    debugf("bss zero=%d/%d first_nonzero=%d\n", zero, BSS_PROBE_BYTES, first_nonzero);

    display_init(RESOLUTION_320x240, DEPTH_16_BPP, 2, GAMMA_NONE, FILTERS_RESAMPLE);
    rdpq_init();

    // rspq on its own: a syncpoint is reached once the RSP has run every command before it.
    rspq_syncpoint_t sync = rspq_syncpoint_new();
    rspq_flush();
    rspq_syncpoint_wait(sync);
    debugf("rspq syncpoint reached=%d\n", rspq_syncpoint_check(sync) ? 1 : 0);

    // rdpq: clear (to opaque black, 0x0001 in RGBA5551) and fill a rectangle each frame, then
    // read a pixel inside and one outside back from RDRAM.
    uint16_t pixel = 0;
    for (int frame = 0; frame < FRAMES; frame++) {
        surface_t *fb = display_get();
        rdpq_attach_clear(fb, NULL);
        rdpq_set_mode_fill(color_from_packed16(FILL_RGBA16));
        rdpq_fill_rectangle(16, 16, 64, 48);
        rdpq_detach_wait();
        data_cache_hit_invalidate(fb->buffer, fb->stride * fb->height);
        pixel = ((uint16_t *)fb->buffer)[20 * (fb->stride / 2) + 20];
        uint16_t outside = ((uint16_t *)fb->buffer)[100 * (fb->stride / 2) + 100];
        debugf("frame %d pixel=0x%04x outside=0x%04x\n", frame, pixel, outside);
        display_show(fb);
    }
    debugf("frames=%d pixel=0x%04x\n", FRAMES, pixel);

    // rdpq text with libdragon's built-in font, whose atlas upload is an rspq block: the RSP
    // completes some of the block's RDP commands while it runs it, and rspq hands DP_END
    // addresses with its command id in the top byte. A cen64 that kept that byte ran the block
    // early, crashed its RDP and never finished the frame (docs/libdragon.md "rdpq text in
    // cen64"). Count the pixels the text lit and where they are (xtask checks both).
    rdpq_text_register_font(1, rdpq_font_load_builtin(FONT_BUILTIN_DEBUG_MONO));
    {
        surface_t *fb = display_get();
        rdpq_attach_clear(fb, NULL);
        rdpq_text_printf(NULL, 1, TEXT_X, TEXT_Y, "rspnn");
        rdpq_detach_wait();
        data_cache_hit_invalidate(fb->buffer, fb->stride * fb->height);
        int lit = 0, x0 = fb->width, y0 = fb->height, x1 = -1, y1 = -1;
        for (int y = 0; y < (int)fb->height; y++) {
            for (int x = 0; x < (int)fb->width; x++) {
                if (((uint16_t *)fb->buffer)[y * (fb->stride / 2) + x] == 0x0001)
                    continue;
                lit++;
                if (x < x0) x0 = x;
                if (x > x1) x1 = x;
                if (y < y0) y0 = y;
                if (y > y1) y1 = y;
            }
        }
        debugf("rdpq text lit=%d box=%d,%d-%d,%d\n", lit, x0, y0, x1, y1);
        display_show(fb);
    }

    // A 64-bit division: GCC emits TEQ after it (divide-by-zero trap), which an old cen64 skips.
    volatile uint64_t ticks = 1234567890123ull;
    volatile uint64_t divisor = 1000;
    debugf("u64 division=%llu\n", (unsigned long long)(ticks / divisor));

    debugf("@@rspnn:done@@\n");
    while (1) {}
}
