//! SigV4 identities for s3s: the secret of each access key, and the credential scope a
//! signed request claims (its access key, region, and whether it is presigned).

use std::sync::Arc;

use hyper::{HeaderMap, Uri};
use percent_encoding::percent_decode_str;
use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};

use crate::sim::world::World;

/// Looks up secrets for s3s's SigV4 verification.
pub struct IdentityAuth {
    /// The world whose identities sign requests.
    pub world: Arc<World>,
}

#[async_trait::async_trait]
impl S3Auth for IdentityAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.world.identity_by_access_key(access_key) {
            Some(identity) => Ok(SecretKey::from(identity.secret_key())),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// The credential scope a SigV4 request claims (already verified by s3s when the
/// access check runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// The access key id.
    pub access_key: String,
    /// The region the request was signed for.
    pub region: String,
    /// Signed in the query string (a presigned URL) rather than the header.
    pub presigned: bool,
}

impl CredentialScope {
    /// Reads `Credential=AKID/DATE/REGION/s3/aws4_request` from the Authorization
    /// header or `X-Amz-Credential` from the query.
    pub fn of(headers: &HeaderMap, uri: &Uri) -> Option<Self> {
        let authorization = headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        Self::claimed(authorization, uri)
    }

    /// [`CredentialScope::of`] a request whose `Authorization` header (if any, as text)
    /// is `authorization`.
    pub fn claimed(authorization: Option<&str>, uri: &Uri) -> Option<Self> {
        let parse = |cred: &str, presigned| {
            let mut parts = cred.split('/');
            let access_key = parts.next()?.to_owned();
            let _date = parts.next()?;
            let region = parts.next()?.to_owned();
            Some(Self {
                access_key,
                region,
                presigned,
            })
        };
        if let Some(auth) = authorization {
            let cred = auth.split_once("Credential=")?.1;
            let cred = cred.split([',', ' ']).next()?;
            return parse(cred, false);
        }
        query_pairs(uri)
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| parse(&v, true))
    }
}

/// Decoded query parameters in order (`+` is a literal plus in S3 query strings).
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(q) = uri.query() else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (dec(k), dec(v))
        })
        .collect()
}
