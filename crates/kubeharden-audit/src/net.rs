//! IP addresses and CIDR ranges.

use std::net::IpAddr;

/// `addr/prefix` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a: IpAddr = text.parse().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }

    pub fn is_everywhere(&self) -> bool {
        self.prefix == 0
    }
}

/// Whether `ip` (text) falls in any of `ranges`.
pub fn in_any(ranges: &[Cidr], ip: &str) -> bool {
    ip.parse::<IpAddr>()
        .is_ok_and(|ip| ranges.iter().any(|r| r.contains(ip)))
}

/// Reads a list of CIDRs, one per line; `#` starts a comment. Returns the ranges and
/// the (1-based) numbers of lines that are not ranges.
pub fn read_list(text: &str) -> (Vec<Cidr>, Vec<usize>) {
    let mut ranges = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match Cidr::parse(line) {
            Some(c) => ranges.push(c),
            None => bad.push(i + 1),
        }
    }
    (ranges, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let c = Cidr::parse("169.254.0.0/16").unwrap();
        assert!(c.contains("169.254.169.254".parse().unwrap()));
        assert!(!c.contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("fd00:ec2::/64")
            .unwrap()
            .contains("fd00:ec2::254".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().is_everywhere());
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().prefix, 32);
        assert!(Cidr::parse("nonsense").is_none());
        let (list, bad) = read_list("# tor exits\n185.220.101.1\n10.0.0.0/8 # lab\nbogus\n");
        assert_eq!((list.len(), bad), (2, vec![4]));
    }
}
