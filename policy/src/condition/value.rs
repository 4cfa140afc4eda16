//! Reading condition values as their operators' types: numbers, dates, booleans, base64, IP ranges, ARNs.

use std::borrow::Cow;
use std::net::IpAddr;
use std::num::NonZero;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ipnet::IpNet;
use time::UtcDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::parsing::Parsed;

use crate::pattern::Pattern;

/// A number as the Numeric operators read it: an integer or decimal, optionally signed,
/// optionally with an exponent; `inf`, `NaN` and hex are refused.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// `YYYY-MM[-DD[Thh:mm[:ss[.s…]][Z|±hh[[:]mm]]]]`: the W3C profile of ISO 8601
/// (<http://www.w3.org/TR/NOTE-datetime>), each part optional once the one before it is
/// there, with `t` and `z` also in lower case and the zone also as `±hhmm` or `±hh`.
const W3C_DATE_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    version = 2,
    "[year]-[month][optional [-[day][optional [\
        [first [T] [t]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]\
        [optional [[first [Z] [z] [[offset_hour sign:mandatory][optional [[optional [:]][offset_minute]]]]]]]\
    ]]]]"
);

/// A date as the Date operators read it, in nanoseconds since the Unix epoch.
///
/// Accepted, per "one of the W3C implementations of the ISO 8601 date formats ... or in
/// epoch (UNIX) time" (operators page, Date section:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date>;
/// <http://www.w3.org/TR/NOTE-datetime>):
/// - epoch seconds: an optionally signed integer (`1735689600`); so a bare `2025` is read as
///   epoch seconds, not as a year;
/// - `YYYY-MM`, `YYYY-MM-DD` (midnight UTC);
/// - `YYYY-MM-DDThh:mm`, `...:ss`, `...:ss.s...` (any number of fractional digits, kept to
///   the nanosecond) followed by `Z` or an offset `±hh:mm` (also `±hhmm`, `±hh`; hours up to
///   23); without a zone the time is taken as UTC (decided; W3C requires the zone).
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Not through `time`, whose years are bounded: any i64 of seconds is a date here.
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    // `time` reads a sign before the year (`-2025-01-01`); a W3C date starts with its digits.
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let s = drop_sub_nanosecond_digits(s);
    let mut parsed = Parsed::new();
    if !parsed.parse_items(s.as_bytes(), W3C_DATE_TIME).ok()?.is_empty() {
        return None;
    }
    // `YYYY-MM` is the first of the month; a date alone is its midnight.
    if parsed.day().is_none() {
        parsed = parsed.with_day(NonZero::<u8>::MIN)?;
    }
    if parsed.hour_24().is_none() {
        parsed = parsed.with_hour_24(0)?;
    }
    // `time` takes zone hours up to 25; W3C's `hh` is 00 to 23.
    if parsed.offset_hour().is_some_and(|h| h.unsigned_abs() > 23) {
        return None;
    }
    // No zone parsed means UTC for a `UtcDateTime`.
    Some(UtcDateTime::try_from(parsed).ok()?.unix_timestamp_nanos())
}

/// Keeps nine fractional-second digits: later ones are below the nanosecond, and `time`
/// reads at most 32 of them while AWS's formats set no limit.
fn drop_sub_nanosecond_digits(s: &str) -> Cow<'_, str> {
    let Some(dot) = s.find('.') else {
        return Cow::Borrowed(s);
    };
    let digits = s[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return Cow::Borrowed(s);
    }
    Cow::Owned(format!("{}{}", &s[..dot + 10], &s[dot + 1 + digits..]))
}

/// `true` or `false` in any case, as the `Null` operator's values are written.
pub(super) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// The standard alphabet, with or without `=` padding; bits past the last whole byte are
/// ignored rather than refused (`QR==` is `A`, as `QQ==`).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 (`A-Z a-z 0-9 + /`), with or without `=` padding.
///
/// BinaryEquals "compares the value of the specified key byte for byte against a base-64
/// encoded representation of the binary value in the policy" (operators page, Binary
/// section:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_BinaryEquals>).
/// Request context values are strings here, so a request value is taken to be
/// base64 too and both sides are decoded and compared as bytes (decided): `QQ==` and `QQ`
/// are then the same bytes. A request value that is not base64 matches nothing.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    // Padding, when there is some, must complete the last group of four: `Indifferent`
    // alone would also take a partial one (`QQ=`).
    if s.ends_with('=') && !s.len().is_multiple_of(4) {
        return None;
    }
    BASE64.decode(s).ok()
}

/// An IP range as a policy value gives it: `address/prefix`, or a bare address, for which
/// "IAM uses the default prefix value of /32" (operators page, IP section:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress>),
/// /128 for IPv6. Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
///
/// The address is read by std, as request addresses are ([`parse_ip`]), rather than by
/// `IpNet`'s `FromStr`, whose own reader takes octets with leading zeros (`010.0.0.1`) that
/// std refuses; `IpNet` checks the prefix length against the address family.
pub(crate) fn parse_cidr(s: &str) -> Option<IpNet> {
    let Some((addr, prefix)) = s.split_once('/') else {
        return s.parse::<IpAddr>().ok().map(IpNet::from);
    };
    // Plain digits only: `u8::from_str` would also take `+8`.
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    IpNet::new(addr.parse().ok()?, prefix.parse().ok()?).ok()
}

/// A request value for the IP operators: a bare address (IPv4, or IPv6 as in
/// `2001:DB8::1`, any case).
pub(super) fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// Whether `ip` is in `range`. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as
/// its IPv4 address; otherwise IPv4 and IPv6 never match each other.
pub(super) fn in_range(range: &IpNet, ip: IpAddr) -> bool {
    range.contains(&ip.to_canonical())
}

/// The six segments of a request ARN (`arn:partition:service:region:account:resource`), the
/// last one keeping any further `:`; `None` when the value is not an ARN.
pub(super) fn arn_segments(value: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = value.splitn(6, ':').collect();
    (segments.len() == 6 && segments[0] == "arn").then_some(segments)
}

/// The six segment patterns of a policy ARN, split on literal `:` only so that a wildcard
/// never runs into the next segment (operators page, ARN section:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>);
/// `None` with fewer than six segments. The first segment may be a wildcard.
pub(super) fn arn_pattern_segments(pattern: &Pattern) -> Option<Vec<Pattern>> {
    let segments = pattern.splitn(6, ':');
    (segments.len() == 6).then_some(segments)
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
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("10.0.0.0/0").is_some());
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("::/128").is_some());
        assert!(parse_cidr("::/129").is_none());
        assert!(parse_cidr("10.0.0.0/").is_none());
        assert!(parse_cidr("10.0.0.0/+8").is_none());
        assert!(parse_cidr("10.0.0/8").is_none());
        assert!(parse_cidr("example.com").is_none());
        assert_eq!(parse_cidr("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
    }
}
