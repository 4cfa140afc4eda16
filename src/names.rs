//! Validation of AWS names: bucket names, region codes, account ids.

use crate::error::Error;

/// Checks a general-purpose bucket name against S3's naming rules, returning why not.
///
/// Rules from <https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>
/// (general purpose buckets): 3-63 characters; lowercase letters, digits, dots and
/// hyphens; begins and ends with a letter or digit; no two adjacent dots; not formatted
/// as an IP address; none of the prefixes or suffixes S3 reserves for other features.
pub fn validate_bucket_name(name: &str) -> Result<(), Error> {
    const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

    let invalid = |reason: String| {
        Err(Error::InvalidBucketName {
            name: name.to_owned(),
            reason,
        })
    };
    let len = name.len();
    if !(3..=63).contains(&len) {
        return invalid(format!("is {len} characters long; it must be 3 to 63"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return invalid(format!(
            "contains `{c}`; only lowercase letters, digits, dots and hyphens are allowed"
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return invalid("must begin and end with a letter or digit".to_owned());
    }
    if name.contains("..") {
        return invalid("must not contain two adjacent dots".to_owned());
    }
    if looks_like_ipv4(name) {
        return invalid("must not be formatted as an IP address".to_owned());
    }
    if let Some(p) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(**p)) {
        return invalid(format!("must not start with the reserved prefix `{p}`"));
    }
    if let Some(s) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(**s)) {
        return invalid(format!("must not end with the reserved suffix `{s}`"));
    }
    Ok(())
}

/// Four dot-separated groups of 1-3 digits, whatever their values: S3 refuses
/// `999.1.1.1` as well, since it would be ambiguous in virtual-host URLs.
fn looks_like_ipv4(name: &str) -> bool {
    let groups: Vec<&str> = name.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `region` is shaped like an AWS region code, e.g. `eu-west-1` or
/// `us-gov-west-1`. Shape only: new regions keep working without a list to update.
pub fn is_region_like(region: &str) -> bool {
    let mut parts = region.split('-');
    let (Some(area), Some(mut next)) = (parts.next(), parts.next()) else {
        return false;
    };
    if area.len() != 2 || !area.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    if next == "gov" {
        match parts.next() {
            Some(p) => next = p,
            None => return false,
        }
    }
    let (Some(number), None) = (parts.next(), parts.next()) else {
        return false;
    };
    !next.is_empty()
        && next.bytes().all(|b| b.is_ascii_lowercase())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Checks an AWS account id: exactly 12 ASCII digits.
pub fn validate_account_id(account: &str) -> Result<(), Error> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::InvalidAccountId {
            account: account.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_bucket_names() {
        for n in [
            "abc",
            "acme-data",
            "my.bucket.name",
            "a1-b2.c3",
            "192.168.5",
            "1.2.3.4.5",
            &"a".repeat(63),
        ] {
            assert_eq!(validate_bucket_name(n), Ok(()), "{n}");
        }
    }

    #[test]
    fn invalid_bucket_names() {
        for (n, why) in [
            ("ab", "3 to 63"),
            (&"a".repeat(64), "3 to 63"),
            ("Acme", "contains `A`"),
            ("acme_data", "contains `_`"),
            ("s3://acme", "contains `:`"),
            ("acme/data", "contains `/`"),
            ("-acme", "begin and end"),
            ("acme.", "begin and end"),
            ("ac..me", "adjacent dots"),
            ("192.168.5.4", "IP address"),
            ("xn--acme", "prefix `xn--`"),
            ("sthree-acme", "prefix `sthree-`"),
            ("amzn-s3-demo-acme", "prefix `amzn-s3-demo-`"),
            ("acme-s3alias", "suffix `-s3alias`"),
            ("acme--ol-s3", "suffix `--ol-s3`"),
            ("acme.mrap", "suffix `.mrap`"),
            ("acme--x-s3", "suffix `--x-s3`"),
            ("acme--table-s3", "suffix `--table-s3`"),
            ("héllo", "contains `é`"),
        ] {
            match validate_bucket_name(n) {
                Ok(()) => panic!("{n} accepted"),
                Err(e) => assert!(e.to_string().contains(why), "{n}: {e}"),
            }
        }
    }

    #[test]
    fn regions() {
        for r in [
            "eu-west-1",
            "us-east-2",
            "ap-southeast-4",
            "us-gov-west-1",
            "cn-north-1",
        ] {
            assert!(is_region_like(r), "{r}");
        }
        for r in [
            "",
            "eu",
            "eu-west",
            "EU-WEST-1",
            "eu-west-1a",
            "euw-west-1",
            "eu--1",
            "us-gov-1",
            "eu-west-",
            "eu-west-1-x",
            " eu-west-1",
        ] {
            assert!(!is_region_like(r), "{r}");
        }
    }

    #[test]
    fn account_ids() {
        assert!(validate_account_id("111122223333").is_ok());
        for a in ["", "11112222333", "1111222233334", "11112222333x", "١١١١٢٢٢٢٣٣٣٣"] {
            assert!(validate_account_id(a).is_err(), "{a}");
        }
    }
}
