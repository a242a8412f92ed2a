//! The build-time parameters (README.md "Build-time parameters"): the ucode is assembled here
//! with other DMEM budgets and tile sizes than the default build (the rspq overlay's 3,584
//! bytes, small explicit tiles), and those images run matvecs bit-exactly; a layout that does
//! not fit is refused with the assembler's message. (The default build is what every other
//! test runs.)

mod common;

use common::*;
use kernels::matvec::{BlockMatrix, WeightBits};
use rsp_asm::{FsLoader, SourceLoader, Ucode};
use rspnn_ucode::image::{matvec_image_bytes, read_i16s};
use rspnn_ucode::{layout, MatvecHomes, RdramImage};
use std::path::PathBuf;

/// Serves `params.inc` from memory, everything else from `rsp/`.
struct Params(String, FsLoader);

impl SourceLoader for Params {
    fn load(&self, name: &str, from: Option<&str>) -> Result<(String, String), String> {
        if name == "params.inc" {
            return Ok(("params.inc".into(), self.0.clone()));
        }
        self.1.load(name, from)
    }
}

fn assemble(budget: u32, act: u32, tile: u32) -> Result<Ucode, String> {
    assemble_chain(budget, act, tile, false)
}

/// `q4_waw`: the Q4 matvec's opt-in fast chain (`Q4_WAW_CHAIN = 1`, README.md "Assumptions").
fn assemble_chain(budget: u32, act: u32, tile: u32, q4_waw: bool) -> Result<Ucode, String> {
    let params = format!(
        ".equ DMEM_BUDGET, {budget}\n.equ ACT_BYTES, {act}\n.equ TILE_BYTES_REQUESTED, {tile}\n.equ Q4_WAW_CHAIN, {}\n",
        u8::from(q4_waw)
    );
    let rsp = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rsp");
    let loader = Params(params, FsLoader::with_include_dirs(vec![rsp.clone()]));
    rsp_asm::assemble(&loader, &rsp.join("rspnn.S").display().to_string()).map_err(|e| e.to_string())
}

fn constant(u: &Ucode, name: &str) -> i64 {
    u.symbol(name).unwrap_or_else(|| panic!("{name} missing")).value
}

/// Runs matvecs of both formats and several shapes with the image `u` (its ACT and homes are
/// the default build's, which these layouts keep), comparing with the oracle.
fn matvecs_are_exact(u: &Ucode, what: &str) {
    assert_eq!(constant(u, "ACT"), layout::ACT as i64, "{what}: ACT moved");
    let tile = constant(u, "TILE_BYTES") as usize;
    let mut rng = Lcg(tile as u64);
    for bits in [WeightBits::Q8, WeightBits::Q4] {
        let per_tile = tile / bits.record_bytes();
        for (rows, cols) in [(512, 128), (128, 512), (8 * per_tile, 32), (8 * (per_tile + 1), 32), (8 * per_tile, 64)] {
            let q = random_q(&mut rng, bits, rows, cols);
            let g = random_g(&mut rng, rows, cols, 65535);
            let rec = records(bits, &q, &g);
            let m = BlockMatrix::new(bits, rows, cols, 2, &rec).unwrap();
            let x = random_x(&mut rng, cols, Dist::Within(1 << 13));
            let mut buf = vec![0u8; matvec_image_bytes(&m)];
            let mut img = RdramImage::new(&mut buf, 0).unwrap();
            let placed = img.put_matvec(&m, &x, MatvecHomes::packed(cols)).unwrap();
            let len = img.len();
            let mut rsp = rsp_sim::Rsp::with_rdram(buf[..len].to_vec());
            rsp.load_imem(0, &u.text).unwrap();
            rsp.load_dmem(0, &u.data).unwrap();
            rsp.load_dmem(layout::BOOT as u32, &placed.cmd_list.to_be_bytes()).unwrap();
            rsp.set_pc(u.entry);
            rsp.run(SIM_CYCLE_LIMIT).unwrap();
            assert_eq!(rsp.dmem_u32(layout::BOOT as u32 + 4), layout::status::DONE, "{what}");
            let mut y = vec![0i16; rows];
            assert!(read_i16s(rsp.rdram(), 0, placed.y, &mut y));
            assert_same(&format!("{what}: {bits:?} {rows}x{cols}"), &y, &oracle(&m, &x));
        }
    }
}

#[test]
fn the_rspq_budget_fits_and_runs() {
    let u = assemble(3584, 1280, 0).expect("the rspq layout assembles");
    assert!(constant(&u, "DMEM_END") <= 3584);
    // (3584 - 640 - 1280) / 2 = 832: 3 Q8 records (816 bytes) or 5 Q4 records (720).
    assert_eq!(constant(&u, "TILE_BYTES"), 832);
    assert_eq!((constant(&u, "TILE_RECORDS_Q8"), constant(&u, "TILE_RECORDS_Q4")), (3, 5));
    matvecs_are_exact(&u, "rspq budget");
    let fast = assemble_chain(3584, 1280, 0, true).expect("the rspq layout assembles with the fast Q4 chain");
    matvecs_are_exact(&fast, "rspq budget, fast Q4 chain");
}

#[test]
fn the_smallest_tiles_run() {
    // One Q8 record (or one Q4 record: 272 / 144) per tile: a switch after every record.
    let u = assemble(4096, 1280, 272).expect("a 272-byte tile assembles");
    assert_eq!((constant(&u, "TILE_RECORDS_Q8"), constant(&u, "TILE_RECORDS_Q4")), (1, 1));
    matvecs_are_exact(&u, "272-byte tiles");
    let u = assemble(4096, 1280, 560).expect("a 560-byte tile assembles");
    matvecs_are_exact(&u, "560-byte tiles");
    // Both Q4 chains differ most in the tile switch: a switch after every record.
    let fast = assemble_chain(4096, 1280, 272, true).expect("a 272-byte tile assembles with the fast Q4 chain");
    matvecs_are_exact(&fast, "272-byte tiles, fast Q4 chain");
}

#[test]
fn a_layout_that_does_not_fit_is_refused() {
    // 3,584 - 640 - 2,560 leaves 384 bytes: two tiles of 192, less than a Q8 record.
    let Err(e) = assemble(3584, 2560, 0) else { panic!("2,560 bytes of activations leave no room for tiles") };
    assert!(e.contains("at least one Q8 record"), "{e}");
    let Err(e) = assemble(4096, 1280, 1600) else { panic!("two 1,600-byte tiles do not fit") };
    assert!(e.contains("DMEM layout does not fit"), "{e}");
    let Err(e) = assemble(4096, 1280, 256) else { panic!("a tile smaller than a Q8 record") };
    assert!(e.contains("at least one Q8 record"), "{e}");
    // The rspq budget with the default activations fits (the test above runs it).
    assert!(assemble(3584, 1280, 0).is_ok());
}
