//! A ROM that panics on purpose, so that `cargo xtask test` can check the runtime's panic
//! handler: the message with its file:line:col must reach the IS-Viewer, then the panic
//! sentinel; with the screen up, the same message must appear on it (checked in cen64).
#![no_std]
#![no_main]

use core::hint::black_box;
use n64_rt::println;

n64_rt::entry!(main);

fn main() {
    let mut screen = n64_rt::vi::Screen::init();
    screen.println(format_args!("panic-probe: dividing by zero on purpose"));
    screen.present();
    let divisor = black_box(0u32);
    println!("unreachable: {}", 1000 / divisor);
}
