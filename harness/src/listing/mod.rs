//! Reading a bucket listing that a customer pasted instead of giving access to the
//! bucket: the output of `aws s3 ls --recursive`, the JSON of `aws s3api
//! list-objects-v2` (one page or several), or an S3 Inventory report (its
//! `manifest.json` with CSV or Parquet data files).
//!
//! [`read_listing`] detects the format from the content, never from the file name,
//! because customers rename what they paste (`listing.txt`, `out.json`, ...). Every
//! format gives the same thing back: the objects' exact keys and sizes, sorted by key
//! in UTF-8 byte order (the order S3 lists them in) and deduplicated, restricted to
//! the prefix being captured.

mod aws_ls;
mod error;
mod inventory;
mod list_objects;

use std::path::Path;

use s3_connector::inventory::url_decode;

pub use error::{ListingError, Position};

/// One object of a listing: its key, size, and what else the listing shows (the
/// connector's type, which its reader of S3 Inventory reports gives too).
pub type ListedObject = s3_connector::inventory::InventoryEntry;

/// The pasted formats [`read_listing`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingFormat {
    /// `aws s3 ls s3://BUCKET/PREFIX --recursive [--summarize]`.
    AwsS3Ls,
    /// `aws s3api list-objects-v2 --bucket BUCKET [--prefix P] [--output json]`: one
    /// JSON document, or several (pages) back to back.
    ListObjectsV2Json,
    /// An S3 Inventory report: `manifest.json` and its CSV (gzipped) or Parquet files.
    Inventory,
}

impl std::fmt::Display for ListingFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::AwsS3Ls => "aws s3 ls --recursive output",
            Self::ListObjectsV2Json => "aws s3api list-objects-v2 JSON",
            Self::Inventory => "S3 Inventory report",
        })
    }
}

/// What a pasted listing holds under the captured prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The format the content was recognised as.
    pub format: ListingFormat,
    /// The objects under the prefix, sorted by key in UTF-8 byte order, one per key.
    pub objects: Vec<ListedObject>,
    /// How many listed objects were left out because their key is not under the prefix.
    pub outside_prefix: usize,
}

/// Reads a pasted listing; detects the format from the content (not the file name).
///
/// `bucket` is the bucket the listing was taken from (checked against the listing when
/// it names its bucket: list-objects-v2 pages and Inventory manifests do) and `prefix`
/// the part of it being captured: objects whose key does not start with `prefix` are
/// dropped and counted in [`Listing::outside_prefix`]. Keys must be full keys, as
/// `aws s3 ls s3://BUCKET/PREFIX --recursive` prints them; the non-recursive form
/// prints names relative to the prefix and folders as `PRE` lines.
///
/// For an Inventory report, `path` is its `manifest.json` (or a directory holding one)
/// and the data files the manifest names are looked up next to it.
///
/// A gzipped file, or UTF-16 text with a byte order mark, is read as what it holds.
///
/// # Errors
///
/// [`ListingError::Io`] when a file cannot be read; [`ListingError::Invalid`], with the
/// file and the line, page, object or row, when the content cannot give exact keys and
/// sizes, saying what to run instead where there is something: `aws s3 ls` output with
/// `PRE` lines, `--human-readable` sizes, a line that is not `DATE TIME SIZE KEY` (a key
/// with a line break), a `--summarize` trailer that does not add up, `aws s3 ls` output
/// with nothing under a non-empty `prefix`; JSON whose last page says more follow, or
/// in `--output text`/`yaml`/`table`; a listing or report of another bucket; an
/// Inventory data file that is missing, or whose size or MD5 differs from the
/// manifest's; ORC Inventory reports; one key listed twice with two sizes.
pub fn read_listing(path: &Path, bucket: &str, prefix: &str) -> Result<Listing, ListingError> {
    let (format, objects) = if path.is_dir() {
        let manifest = path.join("manifest.json");
        let text = read_text(&manifest)?;
        (ListingFormat::Inventory, inventory::read(&manifest, &text, bucket)?)
    } else {
        let text = read_text(path)?;
        let format = detect(&text);
        let objects = match format {
            ListingFormat::AwsS3Ls => aws_ls::parse(path, &text)?,
            ListingFormat::ListObjectsV2Json => list_objects::parse(path, &text, bucket)?,
            ListingFormat::Inventory => inventory::read(path, &text, bucket)?,
        };
        (format, objects)
    };
    finish(path, format, objects, prefix)
}

/// Keeps the objects under `prefix`, sorted and deduplicated. Two entries for one key
/// are the same object listed twice (overlapping pages, a listing pasted twice) unless
/// their sizes differ: then the listing is of two different moments and no single
/// world reproduces it.
fn finish(
    path: &Path,
    format: ListingFormat,
    objects: Vec<ListedObject>,
    prefix: &str,
) -> Result<Listing, ListingError> {
    let total = objects.len();
    let mut kept: Vec<ListedObject> = objects.into_iter().filter(|o| o.key.starts_with(prefix)).collect();
    let outside_prefix = total - kept.len();
    // `aws s3 ls s3://b/p/` without --recursive prints names relative to `p/`: when
    // nothing is under the prefix, that is the likely paste, and an empty capture
    // would hide it. The other formats always carry full keys.
    if format == ListingFormat::AwsS3Ls && kept.is_empty() && outside_prefix > 0 && !prefix.is_empty() {
        return Err(ListingError::invalid(
            path,
            Position::File,
            format!(
                "none of the {outside_prefix} listed keys starts with the prefix `{prefix}`; \
                 keys must be full keys from the bucket's root (`aws s3 ls s3://BUCKET/{prefix} \
                 --recursive` prints them so; without --recursive it prints names relative to \
                 the prefix)"
            ),
        ));
    }
    // Stable sort: of duplicates the first listed wins, the others must agree with it.
    kept.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    let mut objects: Vec<ListedObject> = Vec::with_capacity(kept.len());
    for o in kept {
        match objects.last() {
            Some(prev) if prev.key == o.key => {
                if prev.size != o.size {
                    return Err(ListingError::invalid(
                        path,
                        Position::File,
                        format!(
                            "key `{}` is listed twice with different sizes ({} and {} bytes): \
                             the listing mixes two moments of the bucket",
                            o.key, prev.size, o.size
                        ),
                    ));
                }
            }
            _ => objects.push(o),
        }
    }
    Ok(Listing {
        format,
        objects,
        outside_prefix,
    })
}

/// Reads the listing as text. Two ways customers send listings are undone first, as the
/// content shows them: gzip (a large listing attached compressed) and UTF-16 with its
/// byte order mark (PowerShell's `>` writes that).
fn read_text(path: &Path) -> Result<String, ListingError> {
    let io = |source| ListingError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = std::fs::read(path).map_err(io)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes.as_slice()), &mut plain).map_err(
            |e| ListingError::invalid(path, Position::File, format!("gzipped, but does not decompress: {e}")),
        )?;
        bytes = plain;
    }
    let utf16 = match bytes.get(..2) {
        Some([0xff, 0xfe]) => Some(u16::from_le_bytes as fn([u8; 2]) -> u16),
        Some([0xfe, 0xff]) => Some(u16::from_be_bytes as fn([u8; 2]) -> u16),
        _ => None,
    };
    if let Some(unit) = utf16 {
        if bytes.len() % 2 != 0 {
            return Err(ListingError::invalid(
                path,
                Position::File,
                "starts as UTF-16 text but has an odd number of bytes",
            ));
        }
        let units: Vec<u16> = bytes[2..].chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
        return String::from_utf16(&units)
            .map_err(|_| ListingError::invalid(path, Position::File, "starts as UTF-16 text but is not valid UTF-16"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        ListingError::invalid(
            path,
            Position::Line(line),
            "the listing is not UTF-8 text (S3 keys are UTF-8: was it saved in a legacy \
             encoding, or printed by a terminal that could not show some keys?)",
        )
    })
}

/// JSON documents start with `{` (or `[` for `--query Contents`); an Inventory
/// manifest is a JSON document with `fileFormat` and `files`.
fn detect(text: &str) -> ListingFormat {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('{') || body.starts_with('[') {
        if inventory::looks_like_manifest(body) {
            ListingFormat::Inventory
        } else {
            ListingFormat::ListObjectsV2Json
        }
    } else {
        ListingFormat::AwsS3Ls
    }
}
