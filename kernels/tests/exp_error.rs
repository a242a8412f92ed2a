//! The softmax's exp against f64 `exp`, over every possible input (numerics.md "exp").

use kernels::exp::exp_neg_q15;
use kernels::formats::F_SCORE;

#[test]
fn exp_error_over_every_input_is_within_the_documented_bounds() {
    let e0 = exp_neg_q15(0) as f64;
    // (32767/32768)^256 rounded through eight squarings: 1.0 is not representable in Q0.15.
    assert_eq!(e0, 32513.0);
    let (mut max_raw, mut max_norm, mut max_rel_near) = (0f64, 0f64, 0f64);
    for d in i16::MIN..=0 {
        let x = d as f64 / (1 << F_SCORE) as f64;
        let exact = x.exp();
        let got = exp_neg_q15(d) as f64;
        max_raw = max_raw.max((got / 32768.0 - exact).abs());
        max_norm = max_norm.max((got / e0 - exact).abs());
        if x > -4.0 {
            max_rel_near = max_rel_near.max((got / e0 / exact - 1.0).abs());
        }
    }
    println!("exp: max abs error {max_raw:.5} raw, {max_norm:.5} relative to e(0); max relative error for d > -4: {max_rel_near:.4}");
    // Bounds stated in docs/numerics.md.
    assert!(max_raw < 0.0080, "{max_raw}");
    assert!(max_norm < 0.0017, "{max_norm}");
    assert!(max_rel_near < 0.032, "{max_rel_near}");
}

#[test]
fn exp_of_far_negative_differences_is_zero_and_of_zero_is_largest() {
    assert_eq!(exp_neg_q15(i16::MIN), 0);
    // (1 - 200/256)^256 is about 1e-170: zero in Q0.15.
    assert_eq!(exp_neg_q15(-200 * 128), 0);
    assert_eq!(
        exp_neg_q15(5),
        exp_neg_q15(0),
        "positive inputs are treated as 0"
    );
}
