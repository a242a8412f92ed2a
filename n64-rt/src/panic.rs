//! The panic handler: the message (with file:line:col) goes to the IS-Viewer, then
//! [`crate::sentinel::PANIC`] so that a runner knows the ROM failed, then the CPU halts.

use core::panic::PanicInfo;

#[panic_handler]
fn on_panic(info: &PanicInfo) -> ! {
    crate::println!("{}", info);
    crate::println!("{}", crate::sentinel::PANIC);
    crate::halt::halt()
}
