//! Virtual-hosted-style addressing: which bucket a request's `Host` names.
//!
//! S3 takes the bucket from the host (`BUCKET.s3.REGION.amazonaws.com`) or, path-style,
//! from the first path segment
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>). The
//! simulator's base domains stand for S3's endpoint names: `localhost`, `s3.localhost`
//! and any `serve --domain`; `BUCKET.BASE` addresses BUCKET, a base domain itself or an
//! IP address is path-style. A host under none of them (a machine name, a container
//! name) is served path-style too: S3 would read it as a CNAME bucket name, but a local
//! simulator is reached by whatever name its network gives it.

use std::sync::Arc;

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};
use s3s::path::S3Path;

/// The base domains buckets are addressed under.
#[derive(Debug, Clone)]
pub(crate) struct Hosts {
    /// Lower-case, without a port, longest first so that `s3.localhost` is tried
    /// before `localhost`.
    domains: Vec<String>,
}

/// The base domains every simulator answers to.
pub(crate) const DEFAULT_DOMAINS: [&str; 2] = ["localhost", "s3.localhost"];

impl Hosts {
    /// [`DEFAULT_DOMAINS`] and `extra`.
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut domains: Vec<String> = DEFAULT_DOMAINS
            .iter()
            .map(|d| (*d).to_owned())
            .chain(extra.iter().map(|d| d.trim_end_matches('.').to_ascii_lowercase()))
            .collect();
        domains.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        domains.dedup();
        Self { domains }
    }

    /// The bucket a `Host` header value names, if it is virtual-hosted-style.
    pub(crate) fn bucket_of(&self, host: &str) -> Option<String> {
        let name = strip_port(host).trim_end_matches('.');
        // An address (what SDKs pointed at a local endpoint send) names no bucket, and
        // is known as one before a lower-cased copy is made.
        if name.parse::<std::net::IpAddr>().is_ok() {
            return None;
        }
        let name = name.to_ascii_lowercase();
        // A base domain is path-style even when it is under another (`s3.localhost`
        // under `localhost`).
        if self.domains.contains(&name) {
            return None;
        }
        self.domains.iter().find_map(|d| {
            name.strip_suffix(d.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
        })
    }

    /// The bucket and key a request addresses, from its `Host` and path; `None` when
    /// the path cannot be an S3 path.
    pub(crate) fn s3_path(&self, host: Option<&str>, path: &str) -> Option<S3Path> {
        match host.and_then(|h| self.bucket_of(h)) {
            Some(bucket) => s3s::path::parse_virtual_hosted_style(Some(&bucket), &decoded(path)?).ok(),
            None => path_style(path),
        }
    }
}

/// A request path read path-style, as s3s reads it (`parse_path_style`: its bucket
/// names checked as AWS names them, the path not normalized): what [`Hosts::s3_path`]
/// reads for a host that names no bucket, such as any address.
pub(crate) fn path_style(path: &str) -> Option<S3Path> {
    s3s::path::parse_path_style(&decoded(path)?).ok()
}

/// A request path percent-decoded, when it decodes to UTF-8.
fn decoded(path: &str) -> Option<std::borrow::Cow<'_, str>> {
    percent_encoding::percent_decode_str(path).decode_utf8().ok()
}

/// `name` of `name:port` (and of `[v6]:port`).
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(host, |(ip, _)| ip);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The `Host` of a request (HTTP/2 carries it as the URI's authority).
pub(crate) fn host_of<B>(req: &hyper::Request<B>) -> Option<&str> {
    req.headers()
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(hyper::http::uri::Authority::as_str))
}

/// s3s's host hook, sharing the simulator's [`Hosts`].
pub(crate) struct HostsRef(pub Arc<Hosts>);

impl S3Host for HostsRef {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.0.bucket_of(host) {
            Some(bucket) => VirtualHost::new(host).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The direct routes take the front's reading of a request on an address
        /// host for the parse they made themselves before (s3s's path-style parse
        /// with AWS name validation, not normalized): the two must never differ.
        #[test]
        fn an_address_host_reads_every_path_as_s3s_reads_it_path_style(
            host in prop_oneof![
                Just("127.0.0.1"), Just("127.0.0.1:9000"), Just("[::1]:9000"), Just("::1"), Just("10.1.2.3:80"),
            ],
            path in "/[a-zA-Z0-9._%/ -]{0,40}",
        ) {
            let hosts = Hosts::new(&["s3.example.test".to_owned()]);
            let s3s = || {
                let decoded = percent_encoding::percent_decode_str(&path).decode_utf8().ok()?;
                let validation = s3s::validation::AwsNameValidation::new();
                s3s::path::parse_path_style_with_validation_and_normalization(&decoded, &validation, false).ok()
            };
            prop_assert_eq!(hosts.s3_path(Some(host), &path), s3s());
            prop_assert_eq!(path_style(&path), s3s());
        }
    }

    #[test]
    fn buckets_come_from_subdomains_of_the_base_domains_per_the_virtual_hosting_guide() {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
        let hosts = Hosts::new(&["s3.example.test".to_owned()]);
        assert_eq!(
            hosts.bucket_of("acme-data.localhost:9555").as_deref(),
            Some("acme-data")
        );
        assert_eq!(
            hosts.bucket_of("acme-data.s3.localhost:9555").as_deref(),
            Some("acme-data")
        );
        assert_eq!(hosts.bucket_of("Acme-Data.S3.localhost").as_deref(), Some("acme-data"));
        assert_eq!(
            hosts.bucket_of("my.dotted.bucket.localhost").as_deref(),
            Some("my.dotted.bucket")
        );
        assert_eq!(hosts.bucket_of("logs.s3.example.test:443").as_deref(), Some("logs"));
        for path_style in [
            "localhost:9555",
            "s3.localhost:9555",
            "127.0.0.1:9555",
            "[::1]:9555",
            "s3.example.test",
            "buildhost:9555",
            "localhost.",
        ] {
            assert_eq!(hosts.bucket_of(path_style), None, "{path_style}");
        }
    }

    #[test]
    fn the_s3_path_reads_the_bucket_from_the_host_or_the_path() {
        let hosts = Hosts::new(&[]);
        let vhost = hosts.s3_path(Some("acme.localhost:1"), "/a%20b/c.csv");
        assert_eq!(vhost.as_ref().and_then(S3Path::get_bucket_name), Some("acme"));
        assert_eq!(vhost.as_ref().and_then(S3Path::get_object_key), Some("a b/c.csv"));
        let bucket = hosts.s3_path(Some("acme.localhost:1"), "/");
        assert!(matches!(bucket, Some(S3Path::Bucket { .. })));
        let path = hosts.s3_path(Some("127.0.0.1:1"), "/acme/k");
        assert_eq!(path.as_ref().and_then(S3Path::get_bucket_name), Some("acme"));
        assert!(matches!(hosts.s3_path(None, "/"), Some(S3Path::Root)));
    }
}
