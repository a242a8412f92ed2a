# rspnn for libdragon games: `include $(RSPNN_DIR)/libdragon/rspnn.mk` after n64.mk, then add
# $(RSPNN_OBJS) to your ROM's .elf prerequisites and `#include <rspnn.h>`.
#
# RSPNN_DIR: the rspnn checkout (default: the directory above this file).
# RSPNN_REFERENCE_LIB: rspnn's Rust static library (the scalar reference behind
#   rspnn_ref_matvec_q8), built for the N64 by `cargo xtask libdragon-matvec`, which prints it.
#
# rspnn's overlay (rsp_rspnn.S) is assembled here, by your libdragon's n64.mk rule and headers,
# so the rspq core it embeds is your libdragon's byte for byte (rspq checks it at registration).
# Keep the including Makefile's default goal (its `all:` usually comes after this include).
RSPNN_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)
RSPNN_DIR ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

ifeq ($(RSPNN_REFERENCE_LIB)$(filter clean,$(MAKECMDGOALS)),)
$(error RSPNN_REFERENCE_LIB is not set: the path of librspnn_libdragon_reference.a (cargo xtask libdragon-matvec builds it and prints it))
endif

# RSPNN_OVERLAY_N64_INST: the libdragon the overlay is assembled against. Leave it as the game's
# own (the default): rspq accepts only an overlay that embeds the running rspq core, and
# rspnn_init refuses any other with RSPNN_ERR_LIBDRAGON (its test sets this to another one).
RSPNN_OVERLAY_N64_INST ?= $(N64_INST)

CFLAGS += -I$(RSPNN_DIR)/include
# LLVM marks its (o32) objects o32, 32-bit mode and soft-float; GNU ld refuses to merge them with
# o64 objects unless told not to. The thunks of rspnn_thunks.S are what make the mix correct
# (docs/libdragon.md "The ABI").
LDFLAGS += --no-warn-mismatch

RSPNN_OBJS = $(BUILD_DIR)/rsp_rspnn.o $(BUILD_DIR)/rspnn.o $(BUILD_DIR)/rspnn_thunks.o \
	$(BUILD_DIR)/rspnn_reference.o

# The Rust static library as one object that defines only the o32 functions the thunks call:
# linked as an archive, its compiler_builtins would hand the game's C its own (o32, weak)
# memcpy/memset in place of newlib's, whose o64 callers keep 64-bit values in s0-s8.
RSPNN_RUST_EXPORTS = rspnn_ref_matvec_q8_o32 rspnn_ref_matvec_q4_o32 rspnn_model_check_o32 rspnn_model_init_o32 \
	rspnn_generate_begin_o32 rspnn_generate_next_o32 rspnn_error_detail_o32
$(BUILD_DIR)/rspnn_reference.o: $(RSPNN_REFERENCE_LIB)
	@mkdir -p $(dir $@)
	$(N64_LD) -r $(addprefix -u ,$(RSPNN_RUST_EXPORTS)) -o $@.partial $<
	$(N64_OBJCOPY) $(addprefix --keep-global-symbol=,$(RSPNN_RUST_EXPORTS)) $@.partial $@
	rm $@.partial

# The overlay: n64.mk's own RSP rule (file name starting with "rsp"), with rspnn's source dir.
$(BUILD_DIR)/rsp_rspnn.o: $(RSPNN_DIR)/libdragon/rsp_rspnn.S
	$(MAKE) -f $(RSPNN_OVERLAY_N64_INST)/include/n64.mk N64_INST=$(RSPNN_OVERLAY_N64_INST) \
		SOURCE_DIR=$(RSPNN_DIR)/libdragon BUILD_DIR=$(BUILD_DIR) $@

$(BUILD_DIR)/rspnn.o: $(RSPNN_DIR)/libdragon/rspnn.c $(RSPNN_DIR)/include/rspnn.h
	@mkdir -p $(dir $@)
	$(CC) -c $(CFLAGS) -DRSPNN_OVERLAY_LIBDRAGON='"$(RSPNN_OVERLAY_N64_INST)"' \
		-DRSPNN_GAME_LIBDRAGON='"$(N64_INST)"' -o $@ $<

$(BUILD_DIR)/rspnn_thunks.o: $(RSPNN_DIR)/libdragon/rspnn_thunks.S
	@mkdir -p $(dir $@)
	$(CC) -c $(ASFLAGS) -o $@ $<

.DEFAULT_GOAL := $(RSPNN_SAVED_DEFAULT_GOAL)
