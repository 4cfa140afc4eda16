//! ListObjectsV2 answered by the simulator's own route instead of s3s's operation, so
//! that a page is written straight into its body (see `ops::list_xml`). s3s still
//! checks the signature and writes every error; the access gate still decides and
//! records. Only plain requests take the route: `list-type=2` once, the listing's own
//! parameters each at most once and well-formed, none of the headers the operation
//! reads besides. Everything else goes to s3s's operation as before, so every error
//! stays s3s's.

use hyper::http::Extensions;
use hyper::{HeaderMap, Method, Uri};
use s3s::dto::{EncodingType, ListObjectsV2Input};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result, s3_error};

use crate::sim::auth::gate::{Ask, Carried};
use crate::sim::ops::SimS3;
use crate::sim::ops::list::list_objects_v2_body;
use crate::sim::request_log::RecordSlot;

/// Put in a request's extensions by the front: a GET on this bucket that names
/// `list-type=2`.
#[derive(Debug, Clone)]
pub(super) struct ListTarget(pub String);

/// The request the route matched, decoded once.
#[derive(Clone)]
struct Matched(ListObjectsV2Input);

/// The route, over the operations' state.
pub(super) struct ListRoute {
    pub sim: SimS3,
}

/// Headers ListObjectsV2's input reads (s3s parses and may refuse them); a request
/// carrying any goes to s3s.
const INPUT_HEADERS: [&str; 3] = [
    "x-amz-expected-bucket-owner",
    "x-amz-request-payer",
    "x-amz-optional-object-attributes",
];

#[async_trait::async_trait]
impl S3Route for ListRoute {
    fn is_match(&self, method: &Method, uri: &Uri, headers: &HeaderMap, extensions: &mut Extensions) -> bool {
        if method != Method::GET || INPUT_HEADERS.iter().any(|h| headers.contains_key(*h)) {
            return false;
        }
        let Some(ListTarget(bucket)) = extensions.remove::<ListTarget>() else {
            return false;
        };
        match plain_v2_input(bucket, uri.query().unwrap_or("")) {
            Some(input) => {
                extensions.insert(Matched(input));
                true
            }
            None => false,
        }
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        let carried = Carried::of(&req.extensions);
        let Some(Matched(input)) = req.extensions.get::<Matched>() else {
            return Err(s3_error!(InternalError, "a listing route without its request"));
        };
        self.sim.gate.ask(Ask {
            operation: "ListObjectsV2",
            bucket: Some(&input.bucket),
            key: None,
            access_key: req.credentials.as_ref().map(|c| c.access_key.as_str()),
            uri: &req.uri,
            headers: &req.headers,
            carried,
        })?;
        Ok(())
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let Some(Matched(input)) = req.extensions.remove::<Matched>() else {
            return Err(s3_error!(InternalError, "a listing route without its request"));
        };
        match list_objects_v2_body(&self.sim, &input) {
            Ok(body) => {
                let mut resp = S3Response::new(Body::from(body));
                resp.headers.insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/xml"),
                );
                Ok(resp)
            }
            Err(e) => {
                if let Some(slot) = req.extensions.get::<RecordSlot>() {
                    slot.record_error(e.code());
                }
                Err(e)
            }
        }
    }
}

/// ListObjectsV2's input from a query that holds `list-type=2` once and otherwise only
/// the listing's parameters (plus the `x-id` some SDKs add), each at most once and
/// parsing as s3s parses it; `None` for anything else. The query is decoded as s3s
/// decodes it (`application/x-www-form-urlencoded`: `+` is a space).
fn plain_v2_input(bucket: String, query: &str) -> Option<ListObjectsV2Input> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let mut input = ListObjectsV2Input {
        bucket,
        ..Default::default()
    };
    let mut list_type = false;
    let mut seen = [false; 8];
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "list-type" => 0,
            "prefix" => 1,
            "delimiter" => 2,
            "continuation-token" => 3,
            "start-after" => 4,
            "encoding-type" => 5,
            "max-keys" => 6,
            "fetch-owner" => 7,
            "x-id" => continue,
            _ => return None,
        };
        if std::mem::replace(&mut seen[slot], true) {
            return None;
        }
        match slot {
            0 => list_type = value == "2",
            1 => input.prefix = Some(value),
            2 => input.delimiter = Some(value),
            3 => input.continuation_token = Some(value),
            4 => input.start_after = Some(value),
            5 => input.encoding_type = Some(EncodingType::from(value)),
            6 => input.max_keys = Some(value.parse().ok()?),
            _ => input.fetch_owner = Some(value.parse().ok()?),
        }
    }
    list_type.then_some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(query: &str) -> Option<ListObjectsV2Input> {
        plain_v2_input("b".to_owned(), query)
    }

    #[test]
    fn plain_listings_are_decoded_as_s3s_decodes_them() {
        let i = input("list-type=2&prefix=a+b%2Fc&delimiter=%2F&max-keys=5&fetch-owner=true&x-id=ListObjectsV2")
            .expect("plain");
        assert_eq!(i.prefix.as_deref(), Some("a b/c"));
        assert_eq!(i.delimiter.as_deref(), Some("/"));
        assert_eq!(i.max_keys, Some(5));
        assert_eq!(i.fetch_owner, Some(true));
        let i = input("list-type=2&prefix=&start-after=k&encoding-type=url&continuation-token=t").expect("plain");
        assert_eq!(i.prefix.as_deref(), Some(""));
        assert_eq!(i.start_after.as_deref(), Some("k"));
        assert_eq!(i.encoding_type.as_ref().map(EncodingType::as_str), Some("url"));
        assert_eq!(i.continuation_token.as_deref(), Some("t"));
    }

    #[test]
    fn anything_else_goes_to_s3s() {
        for query in [
            "",
            "prefix=a",
            "list-type=1",
            "list-type=2&list-type=2",
            "list-type=2&prefix=a&prefix=b",
            "list-type=2&max-keys=ten",
            "list-type=2&max-keys=99999999999",
            "list-type=2&fetch-owner=yes",
            "list-type=2&versions",
            "list-type=2&uploads",
            "list-type=2&location",
        ] {
            assert!(input(query).is_none(), "{query}");
        }
    }
}
