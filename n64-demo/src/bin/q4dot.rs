//! The first rspnn ROM: a Q4 dot product on the VR4300.
//!
//! Prints the exact i32 result (which `cargo xtask test` compares with the host's
//! `n64_demo::q4dot::demo_result()`), the CP0 Count ticks the dot product took, and the ROM
//! header's title as read back through PI DMA (a check of `n64_rt::pi`).
#![no_std]
#![no_main]

use core::hint::black_box;
use n64_demo::q4dot::{demo_inputs, dot, DEMO_LEN, DEMO_SEED};
use n64_rt::cache::CacheAligned;
use n64_rt::{pi, println, regs, timing};

n64_rt::entry!(main);

fn main() {
    println!("rspnn q4dot: {DEMO_LEN} int4 weights x {DEMO_LEN} int16 activations on the VR4300");

    // black_box keeps the compiler from folding the fixed-seed computation into a constant.
    let inputs = demo_inputs(black_box(DEMO_SEED));
    let start = timing::read_count();
    let result = dot(
        black_box(&inputs.packed_weights),
        black_box(&inputs.activations),
    );
    let ticks = timing::elapsed_ticks(start, timing::read_count());
    match result {
        Ok(sum) => println!("q4dot.result={sum}"),
        Err(error) => panic!("q4dot failed: {error}"),
    }
    println!("q4dot.count_ticks={ticks}");
    println!("q4dot.cpu_cycles={}", timing::ticks_to_cpu_cycles(ticks));

    let mut header = CacheAligned([0u8; 64]);
    if let Err(error) = pi::read(&mut header.0, regs::CART_ROM_BASE) {
        panic!("reading the ROM header: {error}");
    }
    let word0 = u32::from_be_bytes([header.0[0], header.0[1], header.0[2], header.0[3]]);
    println!("pi_dma.header_word0={word0:#010x}");
    // Title: header bytes 0x20..0x34, ASCII padded with spaces (n64brew "ROM Header").
    let title = core::str::from_utf8(&header.0[0x20..0x34]).unwrap_or("<not ASCII>");
    println!(
        "pi_dma.header_title={}",
        title.trim_end_matches([' ', '\0'])
    );
}
