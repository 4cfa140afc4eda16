//! S3 Inventory reports a customer downloaded: the manifest and its data files are
//! read from disk, and parsed by the connector's reader of reports
//! ([`s3_connector::inventory`]), which discovery uses on reports in a bucket.
//!
//! The data files are looked for next to the manifest, under their full key, by name,
//! or in `data/` beside or one level above it (AWS writes data files to `.../data/` and
//! each manifest to a dated folder beside it).

use std::path::{Path, PathBuf};

use s3_connector::inventory::{DataFile, Manifest, ReportError, ReportPosition};

use super::{ListedObject, ListingError, Position};

pub(super) use s3_connector::inventory::looks_like_manifest;

fn listing_error(path: &Path, e: ReportError) -> ListingError {
    let position = match e.position {
        ReportPosition::File => Position::File,
        ReportPosition::Line(n) => Position::Line(n),
        ReportPosition::Row(n) => Position::Row(n),
    };
    ListingError::invalid(path, position, e.message)
}

pub(super) fn read(manifest_path: &Path, text: &str, bucket: &str) -> Result<Vec<ListedObject>, ListingError> {
    let manifest = Manifest::parse(text).map_err(|e| listing_error(manifest_path, e))?;
    if let Some(source) = &manifest.source_bucket
        && source != bucket
    {
        return Err(ListingError::invalid(
            manifest_path,
            Position::File,
            format!("the Inventory report is of bucket `{source}`, not `{bucket}`"),
        ));
    }
    let dir = match manifest_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut objects = Vec::new();
    for file in &manifest.files {
        let path = locate(dir, file).map_err(|m| ListingError::invalid(manifest_path, Position::File, m))?;
        let bytes = std::fs::read(&path).map_err(|source| ListingError::Io {
            path: path.clone(),
            source,
        })?;
        Manifest::check(file, &bytes).map_err(|e| listing_error(&path, e))?;
        manifest
            .read_data_file(bytes.into(), &mut objects)
            .map_err(|e| listing_error(&path, e))?;
    }
    Ok(objects)
}

fn locate(dir: &Path, file: &DataFile) -> Result<PathBuf, String> {
    let name = file.key.rsplit('/').next().unwrap_or(&file.key);
    let mut candidates = vec![dir.join(&file.key), dir.join(name), dir.join("data").join(name)];
    let above = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => dir.join(".."),
    };
    candidates.push(above.join("data").join(name));
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "data file `{}` of the manifest is missing; looked for {}",
            file.key,
            tried.join(", ")
        )
    })
}
