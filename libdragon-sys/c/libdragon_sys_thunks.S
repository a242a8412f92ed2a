# The o32 entry points of the libdragon functions libdragon-sys binds (src/lib.rs), one per
# function: `o32_<name>` calls the o64 `<name>` (see o32_to_o64_thunk.inc for what each one
# fixes). Arguments: o32_to_o64_thunk <o32 symbol>, <o64 function>, <arguments beyond the
# fourth>, <1 for a 64-bit result>. tests/headers.rs checks this list against the crate's
# declarations.
#include <regdef.h>
#include "o32_to_o64_thunk.inc"
    .set noreorder
    .text

    o32_to_o64_thunk o32_rspq_init, rspq_init
    o32_to_o64_thunk o32_rspq_overlay_register, rspq_overlay_register
    o32_to_o64_thunk o32_rspq_overlay_unregister, rspq_overlay_unregister
    o32_to_o64_thunk o32_rspq_overlay_get_state, rspq_overlay_get_state
    o32_to_o64_thunk o32_rspq_flush, rspq_flush
    o32_to_o64_thunk o32_rspq_wait, rspq_wait
    o32_to_o64_thunk o32_rspq_syncpoint_new, rspq_syncpoint_new
    o32_to_o64_thunk o32_rspq_syncpoint_check, rspq_syncpoint_check
    o32_to_o64_thunk o32_rspq_syncpoint_wait, rspq_syncpoint_wait
    o32_to_o64_thunk o32_rspq_highpri_begin, rspq_highpri_begin
    o32_to_o64_thunk o32_rspq_highpri_end, rspq_highpri_end
    o32_to_o64_thunk o32_rspq_highpri_sync, rspq_highpri_sync
    o32_to_o64_thunk o32_data_cache_hit_writeback, data_cache_hit_writeback
    o32_to_o64_thunk o32_data_cache_hit_writeback_invalidate, data_cache_hit_writeback_invalidate
    o32_to_o64_thunk o32_dma_read, dma_read
    o32_to_o64_thunk o32_dma_read_async, dma_read_async
    o32_to_o64_thunk o32_dma_wait, dma_wait
    o32_to_o64_thunk o32_get_ticks, get_ticks, 0, 1
    o32_to_o64_thunk o32_ldsys_rspq_write_0, ldsys_rspq_write_0
    o32_to_o64_thunk o32_ldsys_rspq_write_1, ldsys_rspq_write_1
    o32_to_o64_thunk o32_ldsys_rspq_write_2, ldsys_rspq_write_2
    o32_to_o64_thunk o32_ldsys_rspq_write_3, ldsys_rspq_write_3, 1
    o32_to_o64_thunk o32_ldsys_rspq_write_4, ldsys_rspq_write_4, 2
    o32_to_o64_thunk o32_ldsys_rspq_write_words, ldsys_rspq_write_words
    o32_to_o64_thunk o32_ldsys_data_cache_hit_invalidate, ldsys_data_cache_hit_invalidate
