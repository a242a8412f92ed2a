//! Writes the seed inputs of the `command_list` target into `seeds/` (run from `fuzz/`:
//! `cargo run --example seeds`). Each is a mode byte and then the workspace from the list's
//! offset on: lists built with the ucode crate's command builders, accepted and refused.
use rspnn_ucode::program::place_overlays;
use rspnn_ucode::{Command, RdramImage};

const WS_RDRAM: u32 = 0x2000;

fn image(mode: u8, build: impl FnOnce(&mut RdramImage<'_>) -> Vec<Command>) -> Vec<u8> {
    let mut buf = vec![0u8; 8 * 1024];
    let mut img = RdramImage::new(&mut buf, WS_RDRAM).unwrap();
    let list = build(&mut img);
    img.put_commands_unchecked(&list).unwrap();
    let used = img.len();
    let mut out = vec![mode];
    out.extend_from_slice(&buf[..used]);
    out
}

fn main() {
    let dma_out = |rdram| Command::DmaOut {
        dmem: 0x280,
        len: 16,
        rdram,
    };
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("end", image(0, |_| vec![Command::End])),
        (
            "dma-out-inside",
            image(0x10, |_| vec![dma_out(WS_RDRAM + 4096), Command::End]),
        ),
        (
            "dma-out-outside",
            image(0, |_| vec![dma_out(0x100), Command::End]),
        ),
        (
            "step-argmax-sealed",
            image(2, |img| {
                let overlays = place_overlays(img).unwrap();
                vec![
                    Command::Overlays { rdram: overlays },
                    Command::Step {
                        token: 1,
                        pos: 0,
                        ctx: 64,
                    },
                    Command::Argmax {
                        lo: 0,
                        hi: 8,
                        v_dmem: 0x400,
                        out_dmem: 0x280,
                    },
                    dma_out(WS_RDRAM + 4096),
                    Command::End,
                ]
            }),
        ),
    ];
    for (name, bytes) in seeds {
        let path = format!("seeds/{name}");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!("{path}: {} bytes", bytes.len());
    }
}
