//! MATVEC on rsp-sim, bit for bit against `kernels::matvec` (the numerics oracle): random
//! matrices of every shape the models use and more, both formats, random scales and shifts;
//! the edge values of docs/numerics.md section 11; tile boundaries; the command's checks;
//! DMEM homes; two commands sharing activations in DMEM.

mod common;

use common::*;
use kernels::matvec::{matvec, BlockMatrix, WeightBits};
use rspnn_ucode::command::{MatvecArgs, MATVEC_MAX_COLS};
use rspnn_ucode::image::{matvec_args, read_i16s, MatvecHomes};
use rspnn_ucode::layout::{self, status};
use rspnn_ucode::{Command, RdramImage};

const BITS: [WeightBits; 2] = [WeightBits::Q8, WeightBits::Q4];

/// Builds the matrix, runs it, compares with the oracle; returns the oracle's saturation
/// counts (so edge tests can check they reached the edge).
fn check(
    bits: WeightBits,
    q: &[Vec<i8>],
    g: &[Vec<u16>],
    shift: u8,
    x: &[i16],
    what: &str,
) -> kernels::matvec::Saturations {
    let rec = records(bits, q, g);
    let m = BlockMatrix::new(bits, q.len(), q[0].len(), shift, &rec).unwrap();
    let mut want = vec![0i16; m.rows()];
    let sat = matvec(&m, x, &mut want).unwrap();
    let (got, _) = matvec_sim(&m, x);
    assert_same(&format!("{what} ({bits:?} {}x{} k={shift})", m.rows(), m.cols()), &got, &want);
    sat
}

#[test]
fn random_matrices_of_every_shape_match_the_oracle() {
    // The models' shapes (512x128 wff1, 128x512 wff2, 256x128 head, 128x128 attention), the
    // smallest, the widest, and odd block counts.
    let shapes = [
        (512, 128),
        (128, 512),
        (256, 128),
        (128, 128),
        (8, 32),
        (8, 512),
        (16, 64),
        (24, 96),
        (40, 160),
        (64, 480),
        (72, 224),
        (8, 288),
    ];
    let mut rng = Lcg(0x5eed);
    for bits in BITS {
        for (i, &(rows, cols)) in shapes.iter().enumerate() {
            let q = random_q(&mut rng, bits, rows, cols);
            let g = random_g(&mut rng, rows, cols, 65535);
            let shift = rng.range(0, 15) as u8;
            // Inputs from unit-vector sized values to the whole int16 range (saturating).
            let d = [Dist::Within(1 << 10), Dist::Within(1 << 14), Dist::Full][i % 3];
            let x = random_x(&mut rng, cols, d);
            check(bits, &q, &g, shift, &x, &format!("random {d:?}"));
        }
    }
}

#[test]
fn block_sums_saturate_both_ways() {
    for bits in BITS {
        let (qmax, qmin) = if bits == WeightBits::Q8 { (127i8, -128i8) } else { (7, -8) };
        let (rows, cols) = (16, 64);
        // Rows 0..8: +max weights, rows 8..16: -min weights; x = +32767 in block 0, -32768 in
        // block 1: each block's h hits +32767 or -32768.
        let q: Vec<Vec<i8>> = (0..rows).map(|r| vec![if r < 8 { qmax } else { qmin }; cols]).collect();
        let x: Vec<i16> = (0..cols).map(|c| if c < 32 { 32767 } else { -32768 }).collect();
        let g: Vec<Vec<u16>> = (0..rows).map(|r| vec![(r as u16) * 4000 + 1, 65535 - r as u16]).collect();
        let sat = check(bits, &q, &g, 0, &x, "saturating h");
        assert_eq!(sat.partial, 2 * rows as u32, "{bits:?}: every block sum must saturate");
    }
}

#[test]
fn most_negative_weight_times_most_negative_input() {
    // q = -128 (Q8) or -8 (Q4) is w16 = -32768; with x = -32768 every product is 2^31, the
    // largest the chain can see (numerics.md 4 "Accumulator bounds").
    for bits in BITS {
        let qmin = if bits == WeightBits::Q8 { -128i8 } else { -8 };
        let q = vec![vec![qmin; 32]; 8];
        let g = vec![vec![65535u16]; 8];
        let x = vec![-32768i16; 32];
        let sat = check(bits, &q, &g, 0, &x, "q min x min");
        assert_eq!(sat.partial, 8);
        // And with one lone extreme product in a block of zeros.
        let mut q1 = vec![vec![0i8; 32]; 8];
        for (j, row) in q1.iter_mut().enumerate() {
            row[j * 3 % 32] = qmin;
        }
        check(bits, &q1, &g, 0, &x, "one extreme product");
    }
}

#[test]
fn q4_nibble_extremes_and_every_nibble_value() {
    let mut rng = Lcg(44);
    // Alternating -8 / 7 in both nibble positions, then every nibble value in every position.
    let q: Vec<Vec<i8>> = (0..24).map(|r| (0..96).map(|c| if (r + c) % 2 == 0 { -8 } else { 7 }).collect()).collect();
    let g = random_g(&mut rng, 24, 96, 65535);
    for d in [Dist::Within(300), Dist::Full] {
        let x = random_x(&mut rng, 96, d);
        check(WeightBits::Q4, &q, &g, 0, &x, "alternating -8/7");
    }
    let q: Vec<Vec<i8>> = (0..16).map(|r| (0..64).map(|c| (((r * 64 + c) % 16) as i8) - 8).collect()).collect();
    let g = random_g(&mut rng, 16, 64, 65535);
    let x = random_x(&mut rng, 64, Dist::Within(1 << 12));
    check(WeightBits::Q4, &q, &g, 3, &x, "every nibble");
}

#[test]
fn zero_rows_zero_scales_and_zero_inputs() {
    let mut rng = Lcg(9);
    for bits in BITS {
        let (rows, cols) = (32, 128);
        let mut q = random_q(&mut rng, bits, rows, cols);
        let mut g = random_g(&mut rng, rows, cols, 65535);
        for r in (0..rows).step_by(3) {
            q[r].iter_mut().for_each(|v| *v = 0);
        }
        for r in (1..rows).step_by(5) {
            g[r].iter_mut().for_each(|v| *v = 0);
        }
        let x = random_x(&mut rng, cols, Dist::Within(1 << 13));
        check(bits, &q, &g, 2, &x, "zero rows and scales");
        check(bits, &q, &g, 0, &vec![0; cols], "zero input");
    }
}

#[test]
fn outputs_saturate_and_every_shift_is_exact() {
    let mut rng = Lcg(77);
    for bits in BITS {
        let (rows, cols) = (64, 256);
        let q = random_q(&mut rng, bits, rows, cols);
        // Large scales and inputs: y_k saturates in many rows.
        let g = random_g(&mut rng, rows, cols, 65535);
        let x = random_x(&mut rng, cols, Dist::Full);
        let sat = check(bits, &q, &g, 0, &x, "large");
        assert!(sat.output > 0, "{bits:?}: the large case must saturate some outputs");
        // Small scales: y_k spread over about -15..15, including -1, 0 and 1, so every shift
        // up to 15 both keeps and saturates values (k = 15 needs the two-multiplier path).
        let g_small = random_g(&mut rng, rows, cols, 1000);
        let x_small = random_x(&mut rng, cols, Dist::Within(64));
        let rec = records(bits, &q, &g_small);
        let y_k = oracle(&BlockMatrix::new(bits, rows, cols, 0, &rec).unwrap(), &x_small);
        for v in [-1i16, 0, 1] {
            assert!(y_k.contains(&v), "{bits:?}: the small case must have y_k = {v} (has {y_k:?})");
        }
        assert!(y_k.iter().any(|&v| v.abs() >= 2));
        for shift in 0..=15u8 {
            check(bits, &q, &g_small, shift, &x_small, "small y, shifted");
        }
        for shift in [1u8, 7, 14, 15] {
            let sat = check(bits, &q, &g, shift, &random_x(&mut rng, cols, Dist::Within(1 << 12)), "shifted");
            assert!(sat.output > 0 || shift < 14, "{bits:?} k={shift}");
        }
    }
}

/// Record counts just below, at and above multiples of the tile size (4 Q8 or 7 Q4 records
/// in the default build), and one-record matrices: the streaming must hand over every record.
#[test]
fn every_record_count_around_the_tile_size() {
    let mut rng = Lcg(123);
    for bits in BITS {
        let per_tile = layout::TILE_BYTES / bits.record_bytes();
        for records_total in
            [1, 2, per_tile - 1, per_tile, per_tile + 1, 2 * per_tile, 2 * per_tile + 1, 3 * per_tile - 1]
        {
            // As a tall one-block matrix and, when even, as a two-block one.
            let mut shapes = vec![(8 * records_total, 32)];
            if records_total % 2 == 0 {
                shapes.push((4 * records_total, 64));
            }
            for (rows, cols) in shapes {
                let q = random_q(&mut rng, bits, rows, cols);
                let g = random_g(&mut rng, rows, cols, 65535);
                let x = random_x(&mut rng, cols, Dist::Within(1 << 12));
                check(bits, &q, &g, 0, &x, &format!("{records_total} records"));
            }
        }
    }
}

/// Runs one MATVEC command with the given homes (x DMA'd in, y DMA'd out).
fn run_with_homes(m: &BlockMatrix<'_>, x: &[i16], homes: MatvecHomes) -> Vec<i16> {
    let (rdram, placed) = matvec_image(m, x, homes);
    let out = run_sim(rdram, placed.cmd_list);
    out.assert_done("rsp-sim");
    y_of(&out, &placed)
}

#[test]
fn x_and_y_may_live_anywhere_in_the_activation_area() {
    let mut rng = Lcg(5);
    let act_end = (layout::ACT + layout::ACT_BYTES) as u16;
    for bits in BITS {
        let (rows, cols) = (64, 128);
        let q = random_q(&mut rng, bits, rows, cols);
        let g = random_g(&mut rng, rows, cols, 65535);
        let rec = records(bits, &q, &g);
        let m = BlockMatrix::new(bits, rows, cols, 1, &rec).unwrap();
        let x = random_x(&mut rng, cols, Dist::Within(1 << 13));
        let want = oracle(&m, &x);
        let layouts = [
            MatvecHomes { x_dmem: act_end - 256, y_dmem: layout::ACT as u16 }, // y before x, x at the end
            MatvecHomes { x_dmem: layout::ACT as u16 + 32, y_dmem: act_end - 128 }, // y at the end
            MatvecHomes { x_dmem: layout::ACT as u16 + 512, y_dmem: layout::ACT as u16 + 384 }, // y right before x
        ];
        for homes in layouts {
            assert_same(&format!("{bits:?} {homes:?}"), &run_with_homes(&m, &x, homes), &want);
        }
    }
}

#[test]
fn chained_matvecs_keep_activations_in_dmem() {
    // h = W1 x (128x128, Q8), then z = W2 h (64x128, Q4) reading h from W1's y home: one DMA of
    // x in, one of z out, the intermediate never leaves DMEM.
    let mut rng = Lcg(31);
    let q1 = random_q(&mut rng, WeightBits::Q8, 128, 128);
    let g1 = random_g(&mut rng, 128, 128, 2000);
    let q2 = random_q(&mut rng, WeightBits::Q4, 64, 128);
    let g2 = random_g(&mut rng, 64, 128, 65535);
    let (r1, r2) = (records(WeightBits::Q8, &q1, &g1), records(WeightBits::Q4, &q2, &g2));
    let m1 = BlockMatrix::new(WeightBits::Q8, 128, 128, 0, &r1).unwrap();
    let m2 = BlockMatrix::new(WeightBits::Q4, 64, 128, 2, &r2).unwrap();
    let x = random_x(&mut rng, 128, Dist::Within(1 << 14));
    let want = oracle(&m2, &oracle(&m1, &x));

    let act = layout::ACT as u16;
    let (x_home, h_home, z_home) = (act, act + 256, act + 512);
    let mut buf = vec![0u8; 64 * 1024];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let w1 = img.put_bytes(&r1).unwrap();
    let w2 = img.put_bytes(&r2).unwrap();
    let x_at = img.put_i16s(&x).unwrap();
    let z_at = img.reserve(128).unwrap();
    let a1 = matvec_args(&m1, w1, MatvecHomes { x_dmem: x_home, y_dmem: h_home }).unwrap();
    let a2 = matvec_args(&m2, w2, MatvecHomes { x_dmem: h_home, y_dmem: z_home }).unwrap();
    let list = img
        .put_commands(&[
            Command::DmaIn { dmem: x_home, len: 256, rdram: x_at },
            Command::Matvec(a1),
            Command::Matvec(a2),
            Command::DmaOut { dmem: z_home, len: 128, rdram: z_at },
        ])
        .unwrap();
    let len = img.len();
    let out = run_sim(buf[..len].to_vec(), list);
    out.assert_done("rsp-sim");
    let mut z = vec![0i16; 64];
    assert!(read_i16s(&out.rdram, 0, z_at, &mut z));
    assert_same("W2 (W1 x)", &z, &want);
}

/// The ucode refuses exactly the MATVEC commands each case says it must (with
/// STATUS_BAD_MATVEC and its address), and `Command::check` says the same; an x/y overlap is
/// refused by the builder only.
#[test]
fn the_ucode_refuses_the_matvec_commands_the_builder_refuses() {
    let act = layout::ACT as u16;
    let act_end = (layout::ACT + layout::ACT_BYTES) as u16;
    let good = MatvecArgs { bits: 8, shift: 0, rows: 8, cols: 32, w_rdram: 0, x_dmem: act, y_dmem: act + 64 };
    let max_cols = MATVEC_MAX_COLS as u16;
    // (arguments, what, runs)
    let cases: Vec<(MatvecArgs, &str, bool)> = vec![
        (good, "good", true),
        (MatvecArgs { bits: 4, ..good }, "good Q4", true),
        (MatvecArgs { bits: 5, ..good }, "bits 5", false),
        (MatvecArgs { bits: 0, ..good }, "bits 0", false),
        (MatvecArgs { shift: 15, ..good }, "shift 15", true),
        (MatvecArgs { shift: 16, ..good }, "shift 16", false),
        (MatvecArgs { rows: 0, ..good }, "rows 0", false),
        (MatvecArgs { rows: 12, ..good }, "rows 12", false),
        (MatvecArgs { rows: 4096, ..good }, "rows 4096", false),
        (MatvecArgs { cols: 0, ..good }, "cols 0", false),
        (MatvecArgs { cols: 48, ..good }, "cols 48", false),
        (MatvecArgs { cols: max_cols, x_dmem: act, y_dmem: act + 2 * max_cols, ..good }, "cols max", true),
        (MatvecArgs { cols: max_cols + 32, y_dmem: act_end - 16, ..good }, "cols too many", false),
        (MatvecArgs { w_rdram: 4, ..good }, "W misaligned", false),
        (MatvecArgs { x_dmem: act + 8, ..good }, "x misaligned", false),
        (MatvecArgs { y_dmem: act + 72, ..good }, "y misaligned", false),
        (MatvecArgs { x_dmem: act - 16, ..good }, "x below ACT", false),
        (MatvecArgs { x_dmem: act_end - 48, y_dmem: act, ..good }, "x past ACT", false),
        (MatvecArgs { y_dmem: act_end - 16, ..good }, "y at the end", true),
        (MatvecArgs { y_dmem: act_end, ..good }, "y past ACT", false),
        (MatvecArgs { x_dmem: layout::TILE0 as u16, ..good }, "x in a tile", false),
    ];
    for (args, what, runs) in cases {
        let mut buf = vec![0u8; 8192];
        let mut img = RdramImage::new(&mut buf, 0).unwrap();
        img.reserve(16 * 272).unwrap(); // weights (zeros) for the largest shape here
        let list = img.put_commands_unchecked(&[Command::Matvec(args)]).unwrap();
        let len = img.len();
        let out = run_sim(buf[..len].to_vec(), list);
        let expected = if runs { status::DONE } else { status::BAD_MATVEC };
        assert_eq!(out.status, expected, "{what}: {args:?}: status 0x{:x}", out.status);
        assert_eq!(Command::Matvec(args).check().is_ok(), runs, "{what}: Command::check");
        if !runs {
            assert_eq!(out.fault_cmd, list, "{what}");
        }
    }
    // Overlap: refused by the builder only.
    let overlap = MatvecArgs { x_dmem: act, y_dmem: act + 32, ..good };
    assert!(Command::Matvec(overlap).check().is_err());
}
