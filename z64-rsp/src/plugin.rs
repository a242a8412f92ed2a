//! Loading the plugin once and running jobs on it under a process-wide lock.

use crate::abi::{self, RspInfo};
use crate::byteorder;
use crate::{Job, Outcome, Z64Error, BREAK_WORD};
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

/// Where Debian's `mupen64plus-rsp-z64` package installs the plugin.
pub const DEFAULT_PLUGIN_PATH: &str =
    "/usr/lib/x86_64-linux-gnu/mupen64plus/mupen64plus-rsp-z64.so";

/// Largest RDRAM image a job may bring (the N64's 8 MB).
pub(crate) const RDRAM_MAX: usize = 8 << 20;

/// The RDRAM buffer handed to the plugin: z64 masks the DMA address to 24 bits and adds up to
/// 256 rows of (4 KB + 4 KB skip) without bounds checks, so the buffer covers all of that.
const RDRAM_BUFFER: usize = (16 << 20) + (2 << 20) + 4096;

/// The plugin path: `$Z64_RSP_PLUGIN` or [`DEFAULT_PLUGIN_PATH`].
pub fn plugin_path() -> PathBuf {
    std::env::var_os("Z64_RSP_PLUGIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PLUGIN_PATH))
}

pub(crate) struct Plugin {
    // Kept loaded for the life of the process (the plugin's globals point into our buffers
    // only during a run, and unloading a plugin with global state buys nothing).
    _library: libloading::Library,
    initiate: abi::InitiateRsp,
    do_cycles: abi::DoRspCycles,
}

// Either a loaded plugin or the reason it could not be loaded (remembered so every caller gets
// the same answer without retrying).
static PLUGIN: Mutex<Option<Result<Plugin, Z64Error>>> = Mutex::new(None);
static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves nothing half-done that the next run relies on:
    // InitiateRSP resets the plugin's state every time.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

extern "C" fn debug_message(_context: *mut c_void, level: c_int, message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: the plugin passes a NUL-terminated string that lives for the call.
    let text = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    lock(&MESSAGES).push(format!("[{level}] {text}"));
}

extern "C" fn no_op() {}

fn load() -> Result<Plugin, Z64Error> {
    let path = plugin_path();
    let unavailable = |reason: String| Z64Error::PluginUnavailable {
        path: path.clone(),
        reason,
    };
    // SAFETY: loading runs the library's initialisers; the z64 plugin's only set up its
    // static tables.
    let library =
        unsafe { libloading::Library::new(&path) }.map_err(|e| unavailable(e.to_string()))?;
    // SAFETY: the symbol types are those of m64p_plugin.h / m64p_types.h (see abi.rs).
    unsafe {
        let startup: abi::PluginStartup = *library
            .get::<abi::PluginStartup>(b"PluginStartup\0")
            .map_err(|e| unavailable(e.to_string()))?;
        let initiate: abi::InitiateRsp = *library
            .get::<abi::InitiateRsp>(b"InitiateRSP\0")
            .map_err(|e| unavailable(e.to_string()))?;
        let do_cycles: abi::DoRspCycles = *library
            .get::<abi::DoRspCycles>(b"DoRspCycles\0")
            .map_err(|e| unavailable(e.to_string()))?;
        let code = startup(
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            Some(debug_message),
        );
        if code != abi::M64ERR_SUCCESS && code != abi::M64ERR_ALREADY_INIT {
            return Err(Z64Error::Startup { code });
        }
        Ok(Plugin {
            _library: library,
            initiate,
            do_cycles,
        })
    }
}

/// Calls `f` with the loaded plugin while holding the process-wide lock.
pub(crate) fn with_plugin<R>(f: impl FnOnce(&Plugin) -> R) -> Result<R, Z64Error> {
    let mut guard = lock(&PLUGIN);
    if guard.is_none() {
        *guard = Some(load());
    }
    match guard.as_ref() {
        Some(Ok(p)) => Ok(f(p)),
        Some(Err(e)) => Err(e.clone()),
        None => unreachable!("set above"),
    }
}

/// The register cells the plugin reads and writes.
#[repr(C)]
#[derive(Default)]
struct Registers {
    mi_intr: u32,
    sp: [u32; 9],
    dpc: [u32; 9],
}

impl Plugin {
    pub(crate) fn run(&self, job: &Job) -> Result<Outcome, Z64Error> {
        // DMEM at 0, IMEM at 0x1000 of one 8 KB block (module docs of lib.rs).
        let mut mem = vec![0u8; 0x2000];
        let mut rdram = vec![0u8; RDRAM_BUFFER];
        let mut regs = Box::<Registers>::default();
        lock(&MESSAGES).clear();

        let info = {
            let r = &mut *regs as *mut Registers;
            // SAFETY: raw pointers to fields of a live Box; no references are formed.
            unsafe {
                let sp = std::ptr::addr_of_mut!((*r).sp) as *mut u32;
                let dpc = std::ptr::addr_of_mut!((*r).dpc) as *mut u32;
                RspInfo {
                    rdram: rdram.as_mut_ptr(),
                    dmem: mem.as_mut_ptr(),
                    imem: mem.as_mut_ptr().add(0x1000),
                    mi_intr_reg: std::ptr::addr_of_mut!((*r).mi_intr),
                    sp_mem_addr_reg: sp,
                    sp_dram_addr_reg: sp.add(1),
                    sp_rd_len_reg: sp.add(2),
                    sp_wr_len_reg: sp.add(3),
                    sp_status_reg: sp.add(4),
                    sp_dma_full_reg: sp.add(5),
                    sp_dma_busy_reg: sp.add(6),
                    sp_pc_reg: sp.add(7),
                    sp_semaphore_reg: sp.add(8),
                    dpc_start_reg: dpc,
                    dpc_end_reg: dpc.add(1),
                    dpc_current_reg: dpc.add(2),
                    dpc_status_reg: dpc.add(3),
                    dpc_clock_reg: dpc.add(4),
                    dpc_bufbusy_reg: dpc.add(5),
                    dpc_pipebusy_reg: dpc.add(6),
                    dpc_tmem_reg: dpc.add(7),
                    check_interrupts: no_op,
                    process_dlist_list: no_op,
                    process_alist_list: no_op,
                    process_rdp_list: no_op,
                    show_cfb: no_op,
                }
            }
        };
        let mut cycle_count: c_uint = 0;
        // SAFETY: every pointer in `info` is valid for the sizes the plugin uses (8 KB from
        // DMEM, the RDRAM bound above, single u32 registers) until this function returns, and
        // the plugin is only called under the PLUGIN lock.
        unsafe { (self.initiate)(info, &mut cycle_count) };

        // InitiateRSP cleared the memories; now the images go in.
        let mut imem_be = vec![0u8; 4096];
        imem_be[..job.imem.len()].copy_from_slice(job.imem);
        let padded = job.imem.len().div_ceil(4) * 4;
        for chunk in imem_be[padded..].chunks_exact_mut(4) {
            chunk.copy_from_slice(&BREAK_WORD.to_be_bytes());
        }
        byteorder::to_host(&imem_be, &mut mem[0x1000..]);
        byteorder::to_host(job.dmem, &mut mem[..0x1000]);
        byteorder::to_host(job.rdram, &mut rdram);
        regs.sp[7] = job.pc & 0xFFC;
        regs.sp[4] = 0; // SP_STATUS: running, interrupt-on-break off

        // SAFETY: as above.
        let executed = unsafe { (self.do_cycles)(0x0010_0000) };

        let mut out = Outcome {
            dmem: vec![0; 4096],
            imem: vec![0; 4096],
            rdram: vec![0; job.rdram.len()],
            status: regs.sp[4],
            pc: regs.sp[7],
            executed,
            messages: std::mem::take(&mut *lock(&MESSAGES)),
        };
        byteorder::from_host(&mem[..0x1000], &mut out.dmem);
        byteorder::from_host(&mem[0x1000..], &mut out.imem);
        byteorder::from_host(&rdram, &mut out.rdram);
        Ok(out)
    }
}
