//! HTTPS for the simulator: a certificate authority made for one run, and the server
//! certificate it signs for the names clients reach the simulator by.
//!
//! S3 is reached over HTTPS, and a client's trust settings (a CA bundle, `verify=`)
//! are part of what a connector gets right or wrong; a CA generated per run lets
//! clients verify the simulator exactly as they verify S3, without trusting anything
//! beyond this one process.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why the run's certificates could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Generating a key or a certificate failed.
    #[error("cannot generate the simulator's TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A name the certificate should cover is not a valid DNS name.
    #[error("`{0}` cannot be a name in a TLS certificate")]
    BadName(String),
    /// rustls refused the certificate or key.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A run's certificate authority and the server configuration its certificate serves.
#[derive(Clone)]
pub(crate) struct TlsMaterial {
    /// The CA certificate, PEM: what clients trust.
    pub ca_pem: String,
    /// What the accept loop hands each connection's handshake.
    pub server_config: Arc<ServerConfig>,
}

/// The names the server certificate always covers: the loopback names path-style
/// clients use, the `s3.localhost` base domain, and the wildcards virtual-hosted-style clients reach buckets by
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>).
pub(crate) const BASE_NAMES: [&str; 5] = [
    "localhost",
    "127.0.0.1",
    "s3.localhost",
    "*.localhost",
    "*.s3.localhost",
];

/// A fresh CA, and a server certificate it signs for [`BASE_NAMES`], `domains` (each
/// also as `*.DOMAIN`), and `BUCKET.DOMAIN` for each bucket in `buckets` under
/// `localhost`, `s3.localhost` and `domains`. The explicit bucket names are there
/// because OpenSSL (and so Python, curl, the aws CLI) does not match a wildcard with
/// fewer than two labels after it: `*.localhost` alone would not cover
/// `bucket.localhost` for them.
pub(crate) fn generate(domains: &[String], buckets: &[String]) -> Result<TlsMaterial, TlsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "s3-harness simulator CA (this run only)");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;

    let mut names: Vec<String> = BASE_NAMES.iter().map(|n| (*n).to_owned()).collect();
    for d in domains {
        names.push(d.clone());
        names.push(format!("*.{d}"));
    }
    let mut parents = vec!["localhost".to_owned(), "s3.localhost".to_owned()];
    parents.extend(domains.iter().cloned());
    for b in buckets.iter().filter(|b| !b.contains('.')) {
        for p in &parents {
            names.push(format!("{b}.{p}"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.to_ascii_lowercase()));
    let mut sans = Vec::with_capacity(names.len());
    for n in names {
        let san = match n.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(n.clone().try_into().map_err(|_| TlsError::BadName(n))?),
        };
        sans.push(san);
    }
    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.subject_alt_names = sans;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let server_cert = params.signed_by(&server_key, &ca)?;

    let chain = vec![server_cert.der().clone(), CertificateDer::from(ca.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    // S3 speaks HTTP/1.1 only: a client that offers h2 gets HTTP/1.1, as from S3.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem: ca.pem(),
        server_config: Arc::new(config),
    })
}

/// An aws-sdk-s3 HTTP client that trusts only `ca_pem`, on the rustls stack the SDK
/// already uses.
pub(crate) fn trusting_http_client(ca_pem: &str) -> aws_sdk_s3::config::SharedHttpClient {
    http_client(Some(ca_pem), None)
}

/// An HTTP client trusting only `ca_pem` (nothing without it: for plain HTTP); with
/// `resolve_to`, resolving every name to that address, so that virtual-hosted-style
/// names (`bucket.localhost`) reach the simulator whatever the system resolver does.
pub(crate) fn http_client(
    ca_pem: Option<&str>,
    resolve_to: Option<std::net::IpAddr>,
) -> aws_sdk_s3::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let mut trust = tls::TrustStore::empty();
    if let Some(ca) = ca_pem {
        trust = trust.with_pem_certificate(ca.as_bytes());
    }
    // Building a TlsContext cannot fail today (it returns a Result for the future);
    // the fallback, the default context, trusts only the system's roots, under which
    // the simulator's certificate fails verification rather than anything else
    // being trusted.
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context);
    match resolve_to {
        Some(ip) => builder.build_with_resolver(FixedResolver(ip)),
        None => builder.build_https(),
    }
}

/// Resolves every name to one address.
#[derive(Debug, Clone, Copy)]
struct FixedResolver(std::net::IpAddr);

impl aws_smithy_runtime_api::client::dns::ResolveDns for FixedResolver {
    fn resolve_dns<'a>(&'a self, _name: &'a str) -> aws_smithy_runtime_api::client::dns::DnsFuture<'a> {
        aws_smithy_runtime_api::client::dns::DnsFuture::ready(Ok(vec![self.0]))
    }
}
