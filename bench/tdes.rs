//! 3DES-CBC throughput: the transport's hand-written engine against
//! RustCrypto's `des` crate, on the same key, IV and data (their outputs are
//! compared first). `cargo bench --bench tdes`; run it alone on the machine.

use std::time::Instant;

use ssh2::proto::transport::tdes_bench::{des_crate, hand_written};

/// Bytes encrypted per timed run.
const LEN: usize = 32 << 20;
/// Timed runs per engine; the best one counts.
const RUNS: usize = 5;

fn best_mb_s(f: fn(&[u8; 24], &[u8; 8], &mut [u8]), key: &[u8; 24], iv: &[u8; 8]) -> f64 {
    let mut buf = vec![0x5au8; LEN];
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f(key, iv, &mut buf);
            LEN as f64 / t.elapsed().as_secs_f64() / 1e6
        })
        .fold(0.0, f64::max)
}

fn main() {
    let key: [u8; 24] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    let iv = [7u8, 1, 4, 9, 2, 8, 5, 3];
    let mut a: Vec<u8> = (0..64 * 1024).map(|i| (i * 131 % 251) as u8).collect();
    let mut b = a.clone();
    hand_written(&key, &iv, &mut a);
    des_crate(&key, &iv, &mut b);
    assert_eq!(a, b, "the two engines disagree");
    let ours = best_mb_s(hand_written, &key, &iv);
    let crate_ = best_mb_s(des_crate, &key, &iv);
    println!("tdes: hand-written {ours:.1} MB/s, des crate {crate_:.1} MB/s, ratio {:.2}", ours / crate_);
}
