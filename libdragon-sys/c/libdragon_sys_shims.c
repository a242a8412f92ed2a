// libdragon-sys's C shims (see libdragon_sys_shims.h). Compiled by the game's libdragon GCC
// (o64) with its own rspq.h, so the inline rspq_write family they expand is the game's.
#include <libdragon.h>
#include "libdragon_sys_shims.h"

void ldsys_rspq_write_0(uint32_t ovl_id, uint32_t cmd_id)
{
    rspq_write(ovl_id, cmd_id);
}

void ldsys_rspq_write_1(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0)
{
    rspq_write(ovl_id, cmd_id, arg0);
}

void ldsys_rspq_write_2(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1)
{
    rspq_write(ovl_id, cmd_id, arg0, arg1);
}

void ldsys_rspq_write_3(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1,
                        uint32_t arg2)
{
    rspq_write(ovl_id, cmd_id, arg0, arg1, arg2);
}

void ldsys_rspq_write_4(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1,
                        uint32_t arg2, uint32_t arg3)
{
    rspq_write(ovl_id, cmd_id, arg0, arg1, arg2, arg3);
}

void ldsys_rspq_write_words(uint32_t ovl_id, uint32_t cmd_id, const uint32_t *words,
                            uint32_t count)
{
    // The command is `count` words (the first holds the command id and argument 0), at least
    // one; rspq_write_begin asserts the maximum.
    rspq_write_t w = rspq_write_begin(ovl_id, cmd_id, count ? count : 1);
    for (uint32_t i = 0; i < count; i++)
        rspq_write_arg(&w, words[i]);
    rspq_write_end(&w);
}

void ldsys_data_cache_hit_invalidate(void *mem, unsigned long length)
{
    // Not named `addr` or `sz`: the macro declares locals of those names, and
    // `void *addr = (addr);` would initialise its own from itself (found in the probe: a
    // cache op on address 0).
    data_cache_hit_invalidate(mem, length);
}
