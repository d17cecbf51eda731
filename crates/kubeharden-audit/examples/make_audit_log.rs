//! Writes a synthetic audit log: N events of everyday traffic with the planted
//! attacks of `synthetic::planted` mixed in, for benchmarks (docs/benchmarks.md).
//!
//! cargo run --release -p kubeharden-audit --features synthetic --example make_audit_log -- OUT.jsonl N

use std::io::{BufWriter, Write};

use kubeharden_audit::synthetic::{benign, planted, START};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (out, n) = (&args[1], args[2].parse::<u64>().expect("N"));
    let mut file = BufWriter::new(std::fs::File::create(out).expect("writable"));
    let (mut attacks, _) = planted(START + 60.0);
    attacks.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut attacks = attacks.into_iter().peekable();
    let mut id = 0u64;
    for ev in benign(n, 42) {
        while attacks.peek().is_some_and(|a| a.time <= ev.time) {
            id += 1;
            writeln!(file, "{}", attacks.next().unwrap().line(id)).unwrap();
        }
        id += 1;
        writeln!(file, "{}", ev.line(id)).unwrap();
    }
    for a in attacks {
        id += 1;
        writeln!(file, "{}", a.line(id)).unwrap();
    }
}
