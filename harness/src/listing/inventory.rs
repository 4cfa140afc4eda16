use std::path::Path;

use super::{ListedObject, ListingError, Position};

pub(super) fn looks_like_manifest(text: &str) -> bool {
    text.contains("\"fileFormat\"") && text.contains("\"files\"")
}

pub(super) fn read(path: &Path, _text: &str, _bucket: &str) -> Result<Vec<ListedObject>, ListingError> {
    Err(ListingError::invalid(
        path,
        Position::File,
        "S3 Inventory reports are not read yet",
    ))
}
