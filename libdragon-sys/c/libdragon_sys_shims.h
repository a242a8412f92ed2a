// libdragon-sys's C shims: functions, compiled with the game's own libdragon headers, for what
// libdragon offers only as inline functions or macros (rspq_write, data_cache_hit_invalidate),
// which Rust cannot call. Each is called from Rust through its o32 thunk
// (libdragon_sys_thunks.S); libdragon-sys's header check compares these prototypes with the
// crate's declarations.
#ifndef LIBDRAGON_SYS_SHIMS_H
#define LIBDRAGON_SYS_SHIMS_H

#include <stdint.h>

// rspq_write(ovl_id, cmd_id, ...) with 0 to 4 argument words: one rspq command of 1 to 5
// words. ovl_id is what rspq_overlay_register returned (pre-shifted by 28); the first
// argument word must leave its top 8 bits to the command id (rspq.h, rspq_write).
void ldsys_rspq_write_0(uint32_t ovl_id, uint32_t cmd_id);
void ldsys_rspq_write_1(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0);
void ldsys_rspq_write_2(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1);
void ldsys_rspq_write_3(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1,
                        uint32_t arg2);
void ldsys_rspq_write_4(uint32_t ovl_id, uint32_t cmd_id, uint32_t arg0, uint32_t arg1,
                        uint32_t arg2, uint32_t arg3);
// One command of `count` argument words read from `words` (0..RSPQ_MAX_COMMAND_SIZE; rspq_write_begin
// asserts the size).
void ldsys_rspq_write_words(uint32_t ovl_id, uint32_t cmd_id, const uint32_t *words,
                            uint32_t count);
// data_cache_hit_invalidate (a macro that asserts a 16-byte aligned address and length).
void ldsys_data_cache_hit_invalidate(void *mem, unsigned long length);

#endif
