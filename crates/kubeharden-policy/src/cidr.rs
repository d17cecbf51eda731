//! IP addresses and CIDR ranges, as Kubernetes reads them: arithmetic by `ipnet`.
//!
//! An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is also matched as the IPv4
//! address it carries, whether it is the range or the address, as Go's `net`
//! package (and so the API server) does: a deny list of `10.0.0.0/8` holds a client
//! a dual-stack socket reports as `::ffff:10.0.0.1`. A range with host bits set
//! (`10.0.0.1/8`) is the network its prefix gives (`10.0.0.0/8`), and keeps the
//! address it was written with.

use std::net::IpAddr;

use ipnet::IpNet;

/// `addr/prefix` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// An entry of a list or a flag: `addr/prefix` or a bare address, surrounding
    /// space ignored.
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        match text.parse::<IpAddr>() {
            Ok(addr) => Some(Cidr::from(IpNet::from(addr))),
            Err(_) => Cidr::parse_block(text),
        }
    }

    /// `addr/prefix` and nothing else, as a NetworkPolicy `ipBlock` writes it.
    pub fn parse_block(text: &str) -> Option<Cidr> {
        text.parse::<IpNet>().ok().map(Cidr::from)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let Ok(net) = IpNet::new(self.addr, self.prefix) else {
            return false;
        };
        net.contains(&ip) || unmapped(net).contains(&ip.to_canonical())
    }

    pub fn is_everywhere(&self) -> bool {
        self.prefix == 0
    }
}

impl From<IpNet> for Cidr {
    fn from(net: IpNet) -> Cidr {
        Cidr {
            addr: net.addr(),
            prefix: net.prefix_len(),
        }
    }
}

/// An IPv6 range inside `::ffff:0:0/96` (the IPv4-mapped addresses) as the IPv4
/// range it maps; any other range as it is.
fn unmapped(net: IpNet) -> IpNet {
    match (net, net.addr().to_canonical()) {
        (IpNet::V6(v6), IpAddr::V4(v4)) if v6.prefix_len() >= 96 => {
            IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).unwrap_or(net)
        }
        _ => net,
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

    fn contains(cidr: &str, ip: &str) -> bool {
        Cidr::parse(cidr).unwrap().contains(ip.parse().unwrap())
    }

    #[test]
    fn ipv4_mapped_addresses_match_as_the_ipv4_address_they_carry() {
        assert!(contains("10.0.0.0/8", "::ffff:10.1.2.3"));
        assert!(!contains("10.0.0.0/8", "::ffff:11.1.2.3"));
        assert!(contains("::ffff:10.0.0.0/104", "10.1.2.3"));
        assert!(contains("::ffff:10.0.0.0/104", "::ffff:10.1.2.3"));
        assert!(!contains("::ffff:10.0.0.0/104", "11.1.2.3"));
        // Every IPv4 address is inside the mapped block.
        assert!(contains("::ffff:0.0.0.0/96", "192.0.2.1"));
        // An IPv4-compatible (not mapped) address is IPv6 only.
        assert!(!contains("10.0.0.0/8", "::10.1.2.3"));
        assert!(in_any(
            &[Cidr::parse("185.220.101.0/24").unwrap()],
            "::ffff:185.220.101.7"
        ));
    }

    #[test]
    fn prefix_zero_is_every_address_of_its_family() {
        let v4 = Cidr::parse("0.0.0.0/0").unwrap();
        let v6 = Cidr::parse("::/0").unwrap();
        assert!(v4.is_everywhere() && v6.is_everywhere());
        assert!(contains("0.0.0.0/0", "255.255.255.255"));
        assert!(contains("0.0.0.0/0", "::ffff:192.0.2.1"));
        assert!(!contains("0.0.0.0/0", "2001:db8::1"));
        assert!(contains("::/0", "2001:db8::1"));
        assert!(!contains("::/0", "192.0.2.1"));
        // A /0 written with host bits is still everything.
        assert!(contains("10.1.2.3/0", "192.0.2.1"));
    }

    #[test]
    fn host_bits_set_mean_the_network_and_the_address_is_kept() {
        let c = Cidr::parse("10.1.2.3/8").unwrap();
        assert_eq!(c.addr, "10.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(c.prefix, 8);
        assert!(c.contains("10.200.0.1".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(contains("fd00:ec2::1/64", "fd00:ec2::ffff"));
        assert_eq!(Cidr::parse_block("10.1.2.3/8"), Some(c));
    }

    #[test]
    fn invalid_prefixes_are_refused() {
        for text in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/8/8",
            "10.0.0.0/ 8",
            "10.0.0.0/256",
            "10.0.0.0/008",
            "::/129",
            "::/1280",
            "/8",
            "10.0.0/8",
        ] {
            assert_eq!(Cidr::parse(text), None, "{text}");
            assert_eq!(Cidr::parse_block(text), None, "{text}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/32").unwrap().prefix, 32);
        assert_eq!(Cidr::parse("::/128").unwrap().prefix, 128);
    }

    #[test]
    fn a_block_needs_its_prefix_and_no_space() {
        assert_eq!(Cidr::parse_block("10.0.0.1"), None);
        assert_eq!(Cidr::parse_block(" 10.0.0.0/8"), None);
        assert_eq!(Cidr::parse(" 10.0.0.1 ").unwrap().prefix, 32);
        assert_eq!(Cidr::parse("2001:db8::1").unwrap().prefix, 128);
    }
}
