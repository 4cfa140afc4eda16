//! ListObjectsV2 pages decoded by the connector instead of the SDK.
//!
//! The connector needs four things from a page: each key and size, the common prefixes,
//! and whether and where it goes on. aws-sdk-s3 decodes every field of every entry (the
//! date, the ETag, the storage class, each into its own allocation) and reads the whole
//! document twice, once to see whether it is an error; on a 1,000-key page that is most
//! of the connector's CPU. So a listing is sent through the SDK as any other call
//! (signing, endpoint, TLS, errors all stay the SDK's), and only the body of a `200` whose
//! root is `ListBucketResult` is taken here: [`DecodeListPage`] reads it with quick-xml and
//! hands the SDK an empty `ListBucketResult` in its place. Any other body (an error, even
//! one sent with `200`) reaches the SDK untouched, so errors are handled as before.
//!
//! The fields read are those of
//! https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_ResponseSyntax.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::primitives::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame};
use quick_xml::events::Event;

use super::{ListPage, url_decode};
use crate::layout::ListedObject;

/// What the SDK decodes in place of a page taken here: valid, and nearly free to decode.
const EMPTY_PAGE: &[u8] = b"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></ListBucketResult>";

/// The most a body's promised length reserves up front: a page of 1,000 keys of 1,024
/// bytes, URL-encoded, is under 10 MB; a larger promise grows as it is kept.
const MAX_PRESIZE: usize = 16 << 20;

/// A page decoded from a body, or why the body is not a page this decoder can read.
type Decoded = Result<ListPage, String>;

/// Where the decoded page of one call waits for the caller.
#[derive(Debug, Default, Clone)]
pub(super) struct Slot(Arc<Mutex<Option<Decoded>>>);

impl Slot {
    /// The page decoded during the last attempt, if its body was a page.
    pub(super) fn take(&self) -> Option<Decoded> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn put(&self, decoded: Decoded) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(decoded);
    }
}

/// The interceptor of one ListObjectsV2 call: wraps a `200`'s body so that it is decoded
/// here as it completes (see the module's comment).
#[derive(Debug)]
pub(super) struct DecodeListPage(pub(super) Slot);

impl Intercept for DecodeListPage {
    fn name(&self) -> &'static str {
        "DecodeListPage"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_s3::error::BoxError> {
        let response = context.response_mut();
        if response.status().as_u16() == 200 {
            let body = std::mem::replace(response.body_mut(), SdkBody::taken());
            *response.body_mut() = SdkBody::from_body_1_x(Capture {
                inner: body,
                buf: Vec::new(),
                slot: self.0.clone(),
                finished: false,
            });
        }
        Ok(())
    }
}

/// A response body read to its end, then decoded: the SDK receives either
/// [`EMPTY_PAGE`] (the page went to the slot) or the body as it came.
struct Capture {
    inner: SdkBody,
    buf: Vec<u8>,
    slot: Slot,
    finished: bool,
}

impl Body for Capture {
    type Data = Bytes;
    type Error = aws_sdk_s3::error::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.buf.capacity() == 0 {
            // The whole body is kept: size it once (from Content-Length) rather than by doubling.
            let expected = usize::try_from(self.inner.size_hint().lower()).unwrap_or(0);
            self.buf.reserve(expected.min(MAX_PRESIZE));
        }
        loop {
            match std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.buf.extend_from_slice(data);
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    self.finished = true;
                    let body = std::mem::take(&mut self.buf);
                    let handed = match decode(&body) {
                        Some(decoded) => {
                            self.slot.put(decoded);
                            Bytes::from_static(EMPTY_PAGE)
                        }
                        None => Bytes::from(body),
                    };
                    return Poll::Ready(Some(Ok(Frame::data(handed))));
                }
            }
        }
    }
}

/// Which element's text is being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    IsTruncated,
    NextToken,
    EncodingType,
    Key,
    Size,
    CommonPrefix,
}

/// A ListObjectsV2 body as a page, `None` when its root is not `ListBucketResult` (an
/// error document, or not XML at all: the SDK says what it is). Keys and prefixes are
/// URL-decoded when the page says `EncodingType` `url`, as S3 does when asked.
pub(super) fn decode(body: &[u8]) -> Option<Decoded> {
    let mut reader = quick_xml::Reader::from_reader(body);
    // The root first: anything else is the SDK's to read.
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.local_name().as_ref() == b"ListBucketResult" => break,
            Ok(Event::Empty(e)) if e.local_name().as_ref() == b"ListBucketResult" => {
                return Some(Ok(ListPage::default()));
            }
            Ok(Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_)) => {}
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            _ => return None,
        }
    }
    Some(decode_page(&mut reader))
}

/// The children of `ListBucketResult`, the root already read.
fn decode_page(reader: &mut quick_xml::Reader<&[u8]>) -> Decoded {
    let mut page = ListPage::default();
    let (mut truncated, mut url_encoded) = (false, false);
    let mut token = None;
    // Depth below the root: 1 for its children, 2 for an entry's fields.
    let mut depth = 0usize;
    let mut in_contents = false;
    let mut in_prefixes = false;
    let mut field = Field::None;
    let mut text = String::new();
    let mut key: Option<String> = None;
    let mut size: Option<u64> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("listing page is not XML: {e}"))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name();
                let name = name.as_ref();
                field = match (depth, in_contents, in_prefixes) {
                    (1, _, _) => {
                        in_contents = name == b"Contents";
                        in_prefixes = name == b"CommonPrefixes";
                        match name {
                            b"IsTruncated" => Field::IsTruncated,
                            b"NextContinuationToken" => Field::NextToken,
                            b"EncodingType" => Field::EncodingType,
                            _ => Field::None,
                        }
                    }
                    (2, true, _) if name == b"Key" => Field::Key,
                    (2, true, _) if name == b"Size" => Field::Size,
                    (2, _, true) if name == b"Prefix" => Field::CommonPrefix,
                    _ => Field::None,
                };
                text.clear();
            }
            Event::Empty(e) => {
                // `<Key/>`: a field present and empty.
                let name = e.local_name();
                if depth == 1 && in_contents && name.as_ref() == b"Key" {
                    key = Some(String::new());
                } else if depth == 1 && in_prefixes && name.as_ref() == b"Prefix" {
                    page.common_prefixes.push(String::new());
                }
            }
            Event::Text(t) if field != Field::None => {
                text.push_str(&t.decode().map_err(|e| format!("listing page text: {e}"))?);
            }
            Event::CData(t) if field != Field::None => {
                text.push_str(&t.decode().map_err(|e| format!("listing page text: {e}"))?);
            }
            Event::GeneralRef(r) if field != Field::None => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| format!("listing page: {e}"))? {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| format!("listing page text: {e}"))?;
                    let entity = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("listing page: unknown entity `&{name};`"))?;
                    text.push_str(entity);
                }
            }
            Event::End(_) => {
                match field {
                    Field::None => {}
                    Field::IsTruncated => truncated = text.trim() == "true",
                    Field::NextToken => token = Some(std::mem::take(&mut text)),
                    Field::EncodingType => url_encoded = text.trim().eq_ignore_ascii_case("url"),
                    Field::Key => key = Some(std::mem::take(&mut text)),
                    Field::Size => {
                        size = Some(
                            text.trim()
                                .parse::<i64>()
                                .map_err(|_| format!("listing page: Size `{text}` is not a number"))?
                                .max(0) as u64,
                        );
                    }
                    Field::CommonPrefix => page.common_prefixes.push(std::mem::take(&mut text)),
                }
                field = Field::None;
                if depth == 0 {
                    break;
                }
                if depth == 1 {
                    if in_contents && let Some(key) = key.take() {
                        page.objects.push(ListedObject {
                            key,
                            size: size.unwrap_or(0),
                        });
                    }
                    size = None;
                    in_contents = false;
                    in_prefixes = false;
                }
                depth -= 1;
            }
            Event::Eof => return Err("listing page ends before `</ListBucketResult>`".to_owned()),
            _ => {}
        }
    }
    if url_encoded {
        for o in &mut page.objects {
            o.key = url_decode(&o.key);
        }
        for p in &mut page.common_prefixes {
            *p = url_decode(p);
        }
    }
    page.next_token = token.filter(|_| truncated);
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use proptest::prelude::*;

    /// Answers every request with `200` and one body.
    #[derive(Debug, Clone)]
    struct Canned(Bytes);

    impl HttpConnector for Canned {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            let response = HttpResponse::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(200).expect("200 is a status"),
                SdkBody::from(self.0.clone()),
            );
            HttpConnectorFuture::ready(Ok(response))
        }
    }

    impl HttpClient for Canned {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn client(body: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .endpoint_url("http://127.0.0.1:1")
            .force_path_style(true)
            .http_client(Canned(Bytes::from(body.to_owned())))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The page as the SDK decodes `body`, and as [`DecodeListPage`] does (`None` when it
    /// left the body to the SDK).
    fn both_ways(body: &str) -> (Result<ListPage, String>, Option<Decoded>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let client = client(body);
            let sdk = client
                .list_objects_v2()
                .bucket("b")
                .send()
                .await
                .map(|out| super::super::page_from_output(&out))
                .map_err(|e| format!("{e:?}"));
            let slot = Slot::default();
            let ours = client
                .list_objects_v2()
                .bucket("b")
                .customize()
                .interceptor(DecodeListPage(slot.clone()))
                .send()
                .await;
            let taken = slot.take();
            if taken.is_none() {
                // Left to the SDK: it decided as it would have without us.
                assert_eq!(
                    ours.map(|out| super::super::page_from_output(&out))
                        .map_err(|e| format!("{e:?}"))
                        .is_ok(),
                    sdk.is_ok()
                );
            }
            (sdk, taken)
        })
    }

    fn pages_equal(a: &ListPage, b: &ListPage) -> bool {
        a.objects == b.objects && a.common_prefixes == b.common_prefixes && a.next_token == b.next_token
    }

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    }

    /// A page as S3 writes it, with the fields the connector ignores around the ones it reads.
    fn page_xml(keys: &[(String, i64)], prefixes: &[String], token: Option<&str>, url: bool) -> String {
        let enc = |s: &str| {
            if url {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
            } else {
                escape(s)
            }
        };
        let mut x = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>b</Name><Prefix>p&amp;q</Prefix>",
        );
        x.push_str(&format!("<KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys>", keys.len()));
        if url {
            x.push_str("<EncodingType>url</EncodingType>");
        }
        x.push_str(&format!("<IsTruncated>{}</IsTruncated>", token.is_some()));
        for (k, size) in keys {
            x.push_str(&format!(
                "<Contents><Key>{}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>\
                 <ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>{size}</Size>\
                 <Owner><ID>abc</ID><DisplayName>Key</DisplayName></Owner>\
                 <StorageClass>STANDARD</StorageClass></Contents>",
                enc(k)
            ));
        }
        for p in prefixes {
            x.push_str(&format!("<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>", enc(p)));
        }
        if let Some(t) = token {
            x.push_str(&format!("<NextContinuationToken>{}</NextContinuationToken>", escape(t)));
        }
        x.push_str("</ListBucketResult>");
        x
    }

    #[test]
    fn a_page_decodes_as_the_sdk_decodes_it() {
        let keys = vec![
            ("t/dt=2024-01-01/a b+c&<é>.csv".to_owned(), 12),
            ("t/x%2F'\"y".to_owned(), 0),
        ];
        let prefixes = vec!["t/k=a&b/".to_owned()];
        for url in [true, false] {
            let body = page_xml(&keys, &prefixes, Some("tok&en"), url);
            let (sdk, ours) = both_ways(&body);
            let sdk = sdk.expect("the SDK reads the page");
            let ours = ours.expect("the page is taken").expect("and decoded");
            assert!(pages_equal(&sdk, &ours), "{sdk:?} != {ours:?}");
            assert_eq!(ours.objects[0].key, keys[0].0);
            assert_eq!(ours.next_token.as_deref(), Some("tok&en"));
        }
    }

    #[test]
    fn a_token_on_a_page_that_is_not_truncated_is_not_followed() {
        let body = page_xml(&[("k".to_owned(), 1)], &[], Some("t"), false)
            .replace("<IsTruncated>true</IsTruncated>", "<IsTruncated>false</IsTruncated>");
        let (sdk, ours) = both_ways(&body);
        let ours = ours.expect("taken").expect("decoded");
        assert_eq!(ours.next_token, None);
        assert!(pages_equal(&sdk.expect("the SDK reads it"), &ours));
    }

    /// S3 may send an error with `200` (https://repost.aws/knowledge-center/s3-resolve-200-internalerror);
    /// such a body is the SDK's to read, and it reads an error.
    #[test]
    fn an_error_document_is_left_to_the_sdk() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
                    <Message>We encountered an internal error.</Message></Error>";
        let (sdk, ours) = both_ways(body);
        assert!(ours.is_none());
        assert!(sdk.is_err());
    }

    #[test]
    fn a_page_cut_short_is_an_error_not_a_shorter_page() {
        let body = page_xml(&[("a".to_owned(), 1), ("b".to_owned(), 2)], &[], None, false);
        let cut = &body[..body.find("<Key>b").expect("second key")];
        // The SDK's decoder reads this as a page of one key (its document ends where the
        // bytes do); only the length check of the HTTP client would have caught it.
        let (_, ours) = both_ways(cut);
        assert!(ours.expect("taken").is_err());
    }

    #[test]
    fn an_empty_page_has_nothing() {
        for body in [
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>",
            "<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>",
        ] {
            let page = decode(body.as_bytes()).expect("a page").expect("decoded");
            assert!(page.objects.is_empty() && page.common_prefixes.is_empty() && page.next_token.is_none());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the keys (XML's special characters, non-ASCII, `%` and `+`), sizes,
        /// prefixes and token, in either encoding, the page read here is the SDK's.
        #[test]
        fn any_page_decodes_as_the_sdk_decodes_it(
            keys in proptest::collection::vec(("[a-z/=&<>'\" +%é\u{1F600}.]{1,12}", 0i64..=5_000_000_000_000), 0..8),
            prefixes in proptest::collection::vec("[a-z/=&<'+%é]{1,8}", 0..3),
            token in proptest::option::of("[A-Za-z0-9+/=&]{1,20}"),
            url in any::<bool>(),
        ) {
            let body = page_xml(&keys, &prefixes, token.as_deref(), url);
            let (sdk, ours) = both_ways(&body);
            let sdk = sdk.map_err(TestCaseError::fail)?;
            let ours = ours.ok_or_else(|| TestCaseError::fail("not taken"))?.map_err(TestCaseError::fail)?;
            prop_assert!(pages_equal(&sdk, &ours), "{:?} != {:?}", sdk, ours);
            prop_assert_eq!(ours.objects.iter().map(|o| (o.key.clone(), o.size as i64)).collect::<Vec<_>>(), keys);
        }
    }
}
