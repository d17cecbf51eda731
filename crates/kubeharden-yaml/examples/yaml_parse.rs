//! Raw YAML parse throughput, for docs/benchmarks.md: reads every .yaml/.yml/.json
//! file under the given paths and drives `saphyr-parser` over every event, building
//! nothing. This is the ceiling kubeharden's end-to-end scan is compared with.
//!
//! cargo run --release -p kubeharden-yaml --example yaml_parse -- [-j N] PATH...

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use saphyr_parser::Parser;

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            files(&entry, out);
        }
    } else if path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
    {
        out.push(path.to_path_buf());
    }
}

/// Events parsed, and whether the file parsed to the end.
fn parse(text: &str) -> (usize, bool) {
    let mut events = 0;
    for event in Parser::new_from_str(text) {
        if event.is_err() {
            return (events, false);
        }
        events += 1;
    }
    (events, true)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut threads = 0;
    if args.first().map(String::as_str) == Some("-j") {
        threads = args[1].parse().expect("-j N");
        args.drain(..2);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .unwrap();
    let mut all = Vec::new();
    for arg in &args {
        files(Path::new(arg), &mut all);
    }
    let started = Instant::now();
    let (bytes, events, failed) = all
        .par_iter()
        .map(|path| {
            let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
            let (events, ok) = parse(&text);
            (text.len(), events, usize::from(!ok))
        })
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let secs = started.elapsed().as_secs_f64();
    println!(
        "files={} bytes={bytes} events={events} failed_files={failed} seconds={secs:.3} MB/s={:.1}",
        all.len(),
        bytes as f64 / secs / 1e6
    );
}
