//! The `--deny-list` reader (one CIDR or address a line, `#` comments) and the
//! range checks the audit detectors make with it.
#![no_main]

use kubeharden_audit::net::{in_any, read_list, Cidr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (ranges, bad) = read_list(&text);
    let lines = text.lines().count();
    assert!(bad.iter().all(|&line| (1..=lines).contains(&line)));
    assert!(bad.windows(2).all(|w| w[0] < w[1]));
    for range in &ranges {
        // A range holds its own address, and reads back as itself.
        assert!(range.contains(range.addr), "{range:?}");
        let again = Cidr::parse(&format!("{}/{}", range.addr, range.prefix));
        assert_eq!(again, Some(*range));
        assert!(in_any(&ranges, &range.addr.to_string()));
    }
    for line in text.lines() {
        let _ = in_any(&ranges, line.trim());
    }
});
