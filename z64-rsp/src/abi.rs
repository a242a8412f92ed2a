//! The mupen64plus plugin ABI as far as an RSP plugin uses it.
//!
//! Layout facts from mupen64plus-core `src/api/m64p_plugin.h` (`RSP_INFO`, `ptr_InitiateRSP`,
//! `ptr_DoRspCycles`) and `m64p_types.h` (`PluginStartup`'s debug callback, `m64p_error`), tag
//! 2.5.9 (the version Debian 12 ships): every memory is a byte pointer, every register a pointer
//! to a 32-bit cell, then five callbacks; `RSP_INFO` is passed by value.

use std::os::raw::{c_char, c_int, c_uint, c_void};

/// A core callback with no arguments (CheckInterrupts, ProcessDlistList, ...).
pub type Callback = extern "C" fn();

/// `RSP_INFO`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RspInfo {
    pub rdram: *mut u8,
    pub dmem: *mut u8,
    pub imem: *mut u8,
    pub mi_intr_reg: *mut u32,
    pub sp_mem_addr_reg: *mut u32,
    pub sp_dram_addr_reg: *mut u32,
    pub sp_rd_len_reg: *mut u32,
    pub sp_wr_len_reg: *mut u32,
    pub sp_status_reg: *mut u32,
    pub sp_dma_full_reg: *mut u32,
    pub sp_dma_busy_reg: *mut u32,
    pub sp_pc_reg: *mut u32,
    pub sp_semaphore_reg: *mut u32,
    pub dpc_start_reg: *mut u32,
    pub dpc_end_reg: *mut u32,
    pub dpc_current_reg: *mut u32,
    pub dpc_status_reg: *mut u32,
    pub dpc_clock_reg: *mut u32,
    pub dpc_bufbusy_reg: *mut u32,
    pub dpc_pipebusy_reg: *mut u32,
    pub dpc_tmem_reg: *mut u32,
    pub check_interrupts: Callback,
    pub process_dlist_list: Callback,
    pub process_alist_list: Callback,
    pub process_rdp_list: Callback,
    pub show_cfb: Callback,
}

/// `m64p_error PluginStartup(m64p_dynlib_handle, void *context, void (*debug)(void *, int,
/// const char *))`.
pub type PluginStartup = unsafe extern "C" fn(
    core: *mut c_void,
    context: *mut c_void,
    debug: Option<DebugCallback>,
) -> c_int;

/// The debug-message callback: context, level (1 error .. 5 verbose), message.
pub type DebugCallback = extern "C" fn(context: *mut c_void, level: c_int, message: *const c_char);

/// `void InitiateRSP(RSP_INFO, unsigned int *CycleCount)`.
pub type InitiateRsp = unsafe extern "C" fn(info: RspInfo, cycle_count: *mut c_uint);

/// `unsigned int DoRspCycles(unsigned int Cycles)`.
pub type DoRspCycles = unsafe extern "C" fn(cycles: c_uint) -> c_uint;

/// `M64ERR_SUCCESS` and `M64ERR_ALREADY_INIT` of `m64p_error`.
pub const M64ERR_SUCCESS: c_int = 0;
pub const M64ERR_ALREADY_INIT: c_int = 2;
