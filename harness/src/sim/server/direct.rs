//! The plumbing of the routes that answer plain requests ahead of s3s
//! ([`super::get_route`], [`super::put_route`]): which requests any of them may take,
//! the access gate asked as s3s's access hook asks it, the request handed to the
//! operation as s3s hands it, and the answer written as s3s writes it.

use std::net::IpAddr;

use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Request, Response};
use s3s::dto::{ChecksumType, ETag};
use s3s::path::S3Path;
use s3s::{S3Error, S3Request, S3Response, S3Result};

use crate::sim::auth::gate::{Ask, Carried};
use crate::sim::auth::header_sigv4::{VerifiedSigV4, unique};
use crate::sim::ops::SimS3;

/// Whether a direct route may take the request, whatever its operation: its header
/// signature verified ahead of s3s (no `Authorization` left), an address as its `Host`
/// (which s3s parses path-style, whatever the simulator's virtual-host domains), no
/// query but `x-id` written plainly (an escaped name is s3s's to decode), and a path
/// s3s would accept as an object's. `path` is the front's reading of the request
/// ([`super::hosts::Hosts::s3_path`]), which for an address host is s3s's own
/// path-style parse ([`super::hosts::path_style`]), so it is not parsed again.
pub(super) fn plain_object<B>(req: &Request<B>, path: Option<&S3Path>) -> bool {
    if req.extensions().get::<VerifiedSigV4>().is_none() || req.headers().contains_key(hyper::header::AUTHORIZATION) {
        return false;
    }
    let Some(host) = unique(req.headers(), &hyper::header::HOST) else {
        return false;
    };
    if host.parse::<std::net::SocketAddr>().is_err() && host.parse::<IpAddr>().is_err() {
        return false;
    }
    if let Some(query) = req.uri().query()
        && !query.split('&').all(|p| p == "x-id" || p.starts_with("x-id="))
    {
        return false;
    }
    matches!(path, Some(S3Path::Object { .. }))
}

/// The bucket and key of the path a route took (see [`plain_object`]), moved out of
/// the front's reading rather than copied: once a route has the request, the front
/// reads the operation from the gate's record, not from the path.
pub(super) fn object_names(path: &mut Option<S3Path>) -> Option<(String, String)> {
    match path.take()? {
        S3Path::Object { bucket, key } => Some((bucket.into(), key.into())),
        other => {
            *path = Some(other);
            None
        }
    }
}

/// A header value a route reads: non-empty (s3s reads an empty value as none) and
/// visible ASCII; anything else leaves the request to s3s.
pub(super) fn ascii(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok().filter(|v| !v.is_empty())
}

/// Asks the gate about a request a direct route took, as s3s's access hook asks it:
/// the request's parts (with the decided condition keys in their extensions when the
/// operation decides again), or the refusal written as s3s writes it.
pub(super) fn gate(
    sim: &SimS3,
    operation: &'static str,
    bucket: &str,
    key: &str,
    req: Request<s3s::Body>,
) -> Result<Parts, Box<Response<s3s::Body>>> {
    let (mut parts, _) = req.into_parts();
    let asked = sim.gate.ask(Ask {
        operation,
        bucket: Some(bucket),
        key: Some(key),
        access_key: None,
        uri: &parts.uri,
        headers: &parts.headers,
        carried: Carried::of(&parts.extensions),
    });
    if let Some(keys) = asked.map_err(|e| Box::new(error(e)))? {
        parts.extensions.insert(keys);
    }
    Ok(parts)
}

/// `input` with the request's parts, as s3s hands an operation its request (a
/// request verified ahead of s3s has no credentials for s3s to pass on).
pub(super) fn s3_request<T>(input: T, parts: Parts) -> S3Request<T> {
    S3Request {
        input,
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        extensions: parts.extensions,
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

/// An operation's result answered as s3s answers it: the output written by `write`,
/// then the headers and extensions the operation added; an error as s3s writes one.
pub(super) fn respond<O>(
    result: S3Result<S3Response<O>>,
    write: impl FnOnce(O) -> Result<Response<s3s::Body>, S3Error>,
) -> Response<s3s::Body> {
    let resp = match result {
        Ok(resp) => resp,
        Err(e) => return error(e),
    };
    match write(resp.output) {
        Ok(mut answer) => {
            answer.headers_mut().extend(resp.headers);
            answer.extensions_mut().extend(resp.extensions);
            answer
        }
        Err(e) => error(e),
    }
}

/// An error written as s3s writes one.
pub(super) fn error(e: S3Error) -> Response<s3s::Body> {
    e.to_http_response().unwrap_or_else(|_| {
        super::front::error_response(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    })
}

/// An empty answer with room for a plain answer's headers and the two request-id
/// headers the front stamps, so that none of them grows the map as it is written.
pub(super) fn answer_with(body: s3s::Body) -> Response<s3s::Body> {
    let mut resp = Response::new(body);
    *resp.headers_mut() = HeaderMap::with_capacity(16);
    resp
}

/// A field of an operation's output a direct route has no writer for.
#[derive(Debug, thiserror::Error)]
#[error("the direct {0} route does not write a field the operation set")]
pub(super) struct Unwritten(pub &'static str);

/// A text header, when the output has it.
pub(super) fn text(
    h: &mut HeaderMap,
    name: impl hyper::header::IntoHeaderName,
    value: Option<String>,
) -> Result<(), S3Error> {
    if let Some(v) = value {
        h.insert(name, HeaderValue::try_from(v).map_err(S3Error::internal_error)?);
    }
    Ok(())
}

/// `ETag`, quoted as s3s quotes it.
pub(super) fn etag(h: &mut HeaderMap, value: Option<ETag>) -> Result<(), S3Error> {
    if let Some(etag) = value {
        h.insert(
            hyper::header::ETAG,
            etag.to_http_header().map_err(S3Error::internal_error)?,
        );
    }
    Ok(())
}

/// The additional checksums of an answer (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)
/// and their type, in s3s's order.
pub(super) fn checksum_headers(
    h: &mut HeaderMap,
    values: [Option<String>; 5],
    kind: Option<ChecksumType>,
) -> Result<(), S3Error> {
    use s3s::header::{
        X_AMZ_CHECKSUM_CRC32, X_AMZ_CHECKSUM_CRC32C, X_AMZ_CHECKSUM_CRC64NVME, X_AMZ_CHECKSUM_SHA1,
        X_AMZ_CHECKSUM_SHA256, X_AMZ_CHECKSUM_TYPE,
    };
    // Names as constants: a name given as text is parsed again for every header.
    const NAMES: [hyper::header::HeaderName; 5] = [
        X_AMZ_CHECKSUM_CRC32,
        X_AMZ_CHECKSUM_CRC32C,
        X_AMZ_CHECKSUM_CRC64NVME,
        X_AMZ_CHECKSUM_SHA1,
        X_AMZ_CHECKSUM_SHA256,
    ];
    for (name, value) in NAMES.into_iter().zip(values) {
        text(h, name, value)?;
    }
    text(h, X_AMZ_CHECKSUM_TYPE, kind.map(|t| t.as_str().to_owned()))
}
