# libdragon-sys for libdragon games (n64.mk): `include $(LIBDRAGON_SYS_DIR)/libdragon-sys.mk`
# after n64.mk, then add $(LIBDRAGON_SYS_OBJS) to your ROM's .elf prerequisites.
#
# It compiles, with your libdragon's GCC and headers, the o32 -> o64 thunks the crate's
# declarations link to (c/libdragon_sys_thunks.S) and the C shims for rspq_write and
# data_cache_hit_invalidate (c/libdragon_sys_shims.c), and links the Rust side:
#
# LIBDRAGON_SYS_RUST_LIB: your Rust static library (built for mips-nintendo64-none), and
# LIBDRAGON_SYS_RUST_EXPORTS: the (o32) symbols of it that your C calls (through o64 -> o32
#   thunks: libdragon/o64_thunk.inc). The library becomes one object, $(BUILD_DIR)/
#   libdragon_sys_rust.o, defining only those: linked as an archive, its compiler_builtins
#   would hand your C its own weak o32 memcpy/memset in place of newlib's (docs/libdragon.md).
# Keep the including Makefile's default goal (its `all:` usually comes after this include).
LIBDRAGON_SYS_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)
LIBDRAGON_SYS_DIR ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# LLVM marks its (o32) objects o32, 32-bit mode and soft-float; GNU ld refuses to merge them with
# o64 objects unless told not to. The thunks are what make the mix correct.
LDFLAGS += --no-warn-mismatch

LIBDRAGON_SYS_OBJS = $(BUILD_DIR)/libdragon_sys_thunks.o $(BUILD_DIR)/libdragon_sys_shims.o
ifneq ($(LIBDRAGON_SYS_RUST_LIB),)
LIBDRAGON_SYS_OBJS += $(BUILD_DIR)/libdragon_sys_rust.o
endif

$(BUILD_DIR)/libdragon_sys_thunks.o: $(LIBDRAGON_SYS_DIR)/c/libdragon_sys_thunks.S \
		$(LIBDRAGON_SYS_DIR)/c/o32_to_o64_thunk.inc
	@mkdir -p $(dir $@)
	$(CC) -c $(ASFLAGS) -o $@ $<

$(BUILD_DIR)/libdragon_sys_shims.o: $(LIBDRAGON_SYS_DIR)/c/libdragon_sys_shims.c \
		$(LIBDRAGON_SYS_DIR)/c/libdragon_sys_shims.h
	@mkdir -p $(dir $@)
	$(CC) -c $(CFLAGS) -o $@ $<

$(BUILD_DIR)/libdragon_sys_rust.o: $(LIBDRAGON_SYS_RUST_LIB)
	@mkdir -p $(dir $@)
	$(N64_LD) -r $(addprefix -u ,$(LIBDRAGON_SYS_RUST_EXPORTS)) -o $@.partial $<
	$(N64_OBJCOPY) $(addprefix --keep-global-symbol=,$(LIBDRAGON_SYS_RUST_EXPORTS)) $@.partial $@
	rm $@.partial

.DEFAULT_GOAL := $(LIBDRAGON_SYS_SAVED_DEFAULT_GOAL)
