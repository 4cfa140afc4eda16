//! Discovery from an S3 Inventory report instead of a listing.
//!
//! A table of hundreds of millions of keys takes hours to list at 1,000 keys per
//! ListObjectsV2 call; S3 Inventory writes the same listing daily or weekly as a few
//! files (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html>).
//! With [`ConnectorOptions::inventory`](super::ConnectorOptions::inventory) set, the
//! connector reads the newest report (one listing of the reports' folder, the manifest,
//! its data files) and discovers tables from the keys under the schema prefix. The
//! price, which the `inventory_used` diagnostic states, is that objects written after
//! the report are not seen until the next one.

use futures::stream::{self, StreamExt, TryStreamExt};
use time::OffsetDateTime;

use crate::config::ConnectionConfig;
use crate::diagnostic::{Code, Diagnostic};
use crate::inventory::{InventoryEntry, InventoryLocation, Manifest, ReportPosition};
use crate::layout::ListedObject;
use crate::s3::S3Failure;

use super::Connector;
use super::diagnose::{self, Listed};

/// Older than a weekly report plus a day: the inventory may have been turned off.
const STALE_AFTER: time::Duration = time::Duration::days(8);

/// What the connector found from a report: the objects, and diagnostics saying so.
pub(super) struct FromReport {
    pub(super) listed: Listed,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Connector {
    /// Everything under the schema prefix, as the newest report at `at` lists it; a
    /// report that cannot be used is one fatal `inventory_unreadable`.
    pub(super) async fn probe_inventory(
        &self,
        config: &ConnectionConfig,
        role: &str,
        at: &InventoryLocation,
    ) -> Result<FromReport, Diagnostic> {
        let unreadable = |message: String, hint: String| {
            Diagnostic::error(Code::InventoryUnreadable, at.to_string(), message).hint(hint)
        };
        let manifest_key = if at.is_manifest() {
            at.key.clone()
        } else {
            let page = self
                .s3
                .list_all(&at.bucket, &at.key, Some("/"))
                .await
                .map_err(|f| failure(at, &at.key, role, &f))?;
            match InventoryLocation::newest_report(page.common_prefixes.iter().map(String::as_str)) {
                Some(folder) => format!("{folder}manifest.json"),
                None => {
                    return Err(unreadable(
                        format!("no S3 Inventory report is under {at}"),
                        "check the inventory configuration's destination (bucket, prefix, source bucket and \
                         configuration ID make the folder); AWS delivers the first report up to 48 hours after \
                         the configuration is made"
                            .to_owned(),
                    ));
                }
            }
        };
        let shown = format!("s3://{}/{manifest_key}", at.bucket);
        let text = self
            .s3
            .get_bytes(&at.bucket, &manifest_key, None)
            .await
            .map_err(|f| failure(at, &manifest_key, role, &f))?;
        let text = String::from_utf8(text.to_vec()).map_err(|_| {
            unreadable(
                format!("the manifest {shown} is not UTF-8 text"),
                "point the inventory option at the report's manifest.json".to_owned(),
            )
        })?;
        let manifest = Manifest::parse(&text).map_err(|e| {
            let at_line = match e.position {
                ReportPosition::Line(n) => format!(" (line {n})"),
                _ => String::new(),
            };
            unreadable(
                format!("the manifest {shown}{at_line} cannot be used: {e}"),
                "point the inventory option at an S3 Inventory report in CSV or Parquet format".to_owned(),
            )
        })?;
        if let Some(source) = manifest.source_bucket.as_deref()
            && source != config.bucket
        {
            return Err(unreadable(
                format!("the report {shown} lists bucket `{source}`, not `{}`", config.bucket),
                format!(
                    "use the report of an inventory configuration on bucket `{}`",
                    config.bucket
                ),
            ));
        }

        // Shared with the blocking threads that parse the data files.
        let manifest = &std::sync::Arc::new(manifest);
        let entries: Vec<Vec<InventoryEntry>> = stream::iter(&manifest.files)
            .map(|file| async move {
                let bytes = self
                    .s3
                    .get_bytes(&at.bucket, &file.key, None)
                    .await
                    .map_err(|f| failure(at, &file.key, role, &f))?;
                let shown = format!("s3://{}/{}", at.bucket, file.key);
                Manifest::check(file, &bytes).map_err(|e| {
                    unreadable(
                        format!("data file {shown} of the report: {e}"),
                        "the report may still be being written, or was changed since: use the previous one".to_owned(),
                    )
                })?;
                let manifest = std::sync::Arc::clone(manifest);
                let parsed = tokio::task::spawn_blocking(move || {
                    let mut out = Vec::new();
                    manifest.read_data_file(bytes, &mut out).map(|()| out)
                })
                .await;
                match parsed {
                    Ok(Ok(out)) => Ok(out),
                    Ok(Err(e)) => {
                        let row = match e.position {
                            ReportPosition::Row(n) => format!(" (row {n})"),
                            _ => String::new(),
                        };
                        Err(unreadable(
                            format!("data file {shown}{row} of the report cannot be read: {e}"),
                            "use the previous report, or list the bucket instead (remove the inventory option)"
                                .to_owned(),
                        ))
                    }
                    Err(join) => Err(unreadable(
                        format!("data file {shown} of the report could not be read: {join}"),
                        "use the previous report, or list the bucket instead (remove the inventory option)".to_owned(),
                    )),
                }
            })
            .buffered(self.options.width())
            .try_collect()
            .await?;

        let total: usize = entries.iter().map(Vec::len).sum();
        let mut objects: Vec<ListedObject> = entries
            .into_iter()
            .flatten()
            .filter(|e| e.key.starts_with(&config.schema_prefix))
            .map(|e| ListedObject {
                key: e.key,
                size: e.size,
            })
            .collect();
        // Reports are in no promised order and may list a key in two files.
        objects.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        objects.dedup_by(|a, b| a.key == b.key);
        if objects.is_empty() {
            let mut problem = diagnose::prefix_not_found(config, None);
            problem.message = format!("{} (according to the S3 Inventory report {shown})", problem.message);
            return Err(problem);
        }
        let has_table_dirs = objects
            .iter()
            .any(|o| o.key[config.schema_prefix.len()..].contains('/'));

        let made = manifest
            .created
            .map_or_else(|| "of unknown date".to_owned(), |t| format!("made {}", format_time(t)));
        let mut diagnostics = vec![
            Diagnostic::info(
                Code::InventoryUsed,
                shown.clone(),
                format!(
                    "tables were discovered from the S3 Inventory report {shown} ({made}; {} of its {total} objects \
                     under `{}`), not by listing",
                    objects.len(),
                    config.schema_prefix
                ),
            )
            .hint(
                "objects written after the report are seen from the next report on; remove the inventory option \
                 to list the bucket instead",
            ),
        ];
        if let Some(created) = manifest.created
            && OffsetDateTime::now_utc() - created > STALE_AFTER
        {
            diagnostics.push(
                Diagnostic::warning(
                    Code::InventoryStale,
                    shown.clone(),
                    format!(
                        "the S3 Inventory report {shown} was made {}, more than 8 days ago: newer objects are \
                         not discovered",
                        format_time(created)
                    ),
                )
                .hint(
                    "check that the inventory configuration is still enabled (daily or weekly) and that its \
                     destination is the one configured here",
                ),
            );
        }
        Ok(FromReport {
            listed: Listed {
                objects,
                has_table_dirs,
                unavailable: Vec::new(),
            },
            diagnostics,
        })
    }
}

/// A failed S3 call on the report's bucket, with what to change.
fn failure(at: &InventoryLocation, key: &str, role: &str, failure: &S3Failure) -> Diagnostic {
    let bucket = &at.bucket;
    let shown = format!("s3://{bucket}/{key}");
    let (message, hint) = match failure {
        S3Failure::AccessDenied { .. } => (
            if key.is_empty() || key.ends_with('/') {
                format!("listing the S3 Inventory reports in {shown} is denied to {role}")
            } else {
                format!("reading the S3 Inventory report file {shown} is denied to {role}")
            },
            format!(
                "allow s3:GetObject on arn:aws:s3:::{bucket}/{}* for {role}{}",
                reports_folder(at),
                if at.is_manifest() {
                    String::new()
                } else {
                    format!(", and s3:ListBucket on arn:aws:s3:::{bucket} to find the newest report")
                }
            ),
        ),
        S3Failure::NoSuchBucket => (
            format!("the S3 Inventory destination bucket `{bucket}` does not exist"),
            "check the destination bucket of the inventory configuration".to_owned(),
        ),
        S3Failure::NoSuchKey => (
            format!("no S3 Inventory file at {shown}"),
            "check the path: a report is a dated folder holding manifest.json, under \
             DESTINATION-PREFIX/SOURCE-BUCKET/CONFIGURATION-ID/"
                .to_owned(),
        ),
        other => (
            format!("the S3 Inventory report at {shown} cannot be read: {other}"),
            "try again later, or list the bucket instead (remove the inventory option)".to_owned(),
        ),
    };
    Diagnostic::error(Code::InventoryUnreadable, at.to_string(), message).hint(hint)
}

/// The folder holding the reports and their `data/`: the configured folder, or for a
/// manifest in a dated report folder, the folder above it.
fn reports_folder(at: &InventoryLocation) -> &str {
    if !at.is_manifest() {
        return &at.key;
    }
    let dir = at.key.rsplit_once('/').map_or("", |(dir, _)| dir);
    match dir.rsplit_once('/') {
        Some((above, report)) if InventoryLocation::newest_report([report]).is_some() => &at.key[..above.len() + 1],
        _ if dir.is_empty() => "",
        _ => &at.key[..dir.len() + 1],
    }
}

fn format_time(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_is_asked_for_the_folder_of_reports_and_their_data() {
        let folder = |uri: &str| reports_folder(&InventoryLocation::parse(uri).expect("an S3 URI")).to_owned();
        assert_eq!(
            folder("s3://inv/logs/src/cfg/2026-12-01T01-00Z/manifest.json"),
            "logs/src/cfg/"
        );
        assert_eq!(folder("s3://inv/logs/src/cfg/"), "logs/src/cfg/");
        assert_eq!(folder("s3://inv/logs/src/cfg"), "logs/src/cfg/");
        assert_eq!(folder("s3://inv/custom/manifest.json"), "custom/");
        assert_eq!(folder("s3://inv/manifest.json"), "");
    }
}
