//! Reading condition values as the operators' types: numbers, dates, base64, IP addresses
//! and CIDR ranges.

use std::fmt;
use std::net::IpAddr;

/// A number as the Numeric operators read it: an integer or decimal, optionally signed,
/// optionally with an exponent; `inf`, `NaN` and hex are refused.
pub fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date as the Date operators read it, in nanoseconds since the Unix epoch.
///
/// Accepted, per "one of the W3C implementations of the ISO 8601 date formats ... or in
/// epoch (UNIX) time" (operators page, Date section; <http://www.w3.org/TR/NOTE-datetime>):
/// - epoch seconds: an optionally signed integer (`1735689600`); so a bare `2025` is read as
///   epoch seconds, not as a year;
/// - `YYYY-MM`, `YYYY-MM-DD` (midnight UTC);
/// - `YYYY-MM-DDThh:mm`, `...:ss`, `...:ss.s...` (any number of fractional digits, kept to
///   the nanosecond) followed by `Z` or an offset `±hh:mm` (also `±hhmm`, `±hh`); without a
///   zone the time is taken as UTC (decided; W3C requires the zone).
pub fn parse_date(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = match b.get(7) {
        None => 1,
        Some(b'-') => num(8, 2)?,
        Some(_) => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 7 || b.len() == 10 {
        return Some(i128::from(days) * 86_400 * 1_000_000_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let hour = num(11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = num(14, 2)?;
    let mut pos = 16;
    let mut second = 0;
    let mut nanos: i128 = 0;
    if b.get(pos) == Some(&b':') {
        second = num(pos + 1, 2)?;
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start {
                return None;
            }
            // Keep nine digits (nanoseconds), padded; further digits are below our precision.
            let frac: String = s[start..pos].chars().chain(std::iter::repeat('0')).take(9).collect();
            nanos = frac.parse().ok()?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_secs: i64 = match &b[pos..] {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let (oh, om) = match b.len() - pos {
                3 => (num(pos + 1, 2)?, 0),
                5 => (num(pos + 1, 2)?, num(pos + 3, 2)?),
                6 if b[pos + 3] == b':' => (num(pos + 1, 2)?, num(pos + 4, 2)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Standard base64 (`A-Z a-z 0-9 + /`), with or without `=` padding.
///
/// BinaryEquals "compares the value of the specified key byte for byte against a base-64
/// encoded representation of the binary value in the policy" (operators page, Binary
/// section). Request context values are strings here, so a request value is taken to be
/// base64 too and both sides are decoded and compared as bytes (decided): `QQ==` and `QQ`
/// are then the same bytes. A request value that is not base64 matches nothing.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    if padding > 2 || (padding > 0 && !s.len().is_multiple_of(4)) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// An IP range. "If you specify an IP address without the associated routing prefix, IAM
/// uses the default prefix value of /32" (operators page, IP section); for IPv6 the full
/// length, /128. Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= max).then_some(Self { network, prefix })
    }

    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts
    /// as its IPv4 address; otherwise IPv4 and IPv6 never match each other.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A request value for the IP operators: a bare address (IPv4, or IPv6 as in
/// `2001:DB8::1`, any case).
pub(super) fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number(" 1"), None);
    }

    #[test]
    fn date_formats() {
        let jan1 = 1_735_689_600i128 * 1_000_000_000; // 2025-01-01T00:00:00Z
        assert_eq!(parse_date("2025-01-01T00:00:00Z"), Some(jan1));
        assert_eq!(parse_date("2025-01-01"), Some(jan1));
        assert_eq!(parse_date("2025-01"), Some(jan1));
        assert_eq!(parse_date("1735689600"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00Z"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00:00"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T01:00:00+01:00"), Some(jan1));
        assert_eq!(parse_date("2024-12-31T19:00:00-0500"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T02:00:00+02"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00:00.5Z"), Some(jan1 + 500_000_000));
        assert_eq!(
            parse_date("2025-01-01T00:00:00.123456789123Z"),
            Some(jan1 + 123_456_789)
        );
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        assert_eq!(parse_date("-1"), Some(-1_000_000_000));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800 * 1_000_000_000));
        for bad in [
            "",
            "2025",
            "2025-13-01",
            "2025-02-29",
            "2025-01-32",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:60Z",
            "2025-01-01T00:00:00.Z",
            "2025-01-01X",
            "2025/01/01",
            "2025-01-01T00:00:00+1",
            "yesterday",
            "12.5",
            "99999999999999999999",
        ] {
            if bad == "2025" {
                // A bare number is epoch seconds.
                assert_eq!(parse_date(bad), Some(2025 * 1_000_000_000));
                continue;
            }
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidr_parsing() {
        assert!(Cidr::parse("10.0.0.0/8").is_some());
        assert!(Cidr::parse("10.0.0.0/0").is_some());
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("::/128").is_some());
        assert!(Cidr::parse("::/129").is_none());
        assert!(Cidr::parse("10.0.0.0/").is_none());
        assert!(Cidr::parse("10.0.0.0/+8").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert!(Cidr::parse("example.com").is_none());
        assert_eq!(Cidr::parse("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
    }
}
