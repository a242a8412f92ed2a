//! The panic handler: the message (with file:line:col) goes to the IS-Viewer and, when a
//! [`crate::vi::Screen`] is up, onto the TV in red; then
//! [`crate::sentinel::PANIC`] so that a runner knows the ROM failed, then the CPU halts.

use core::panic::PanicInfo;

#[panic_handler]
fn on_panic(info: &PanicInfo) -> ! {
    crate::println!("{}", info);
    crate::vi::show_panic(info);
    crate::println!("{}", crate::sentinel::PANIC);
    crate::halt::halt()
}
