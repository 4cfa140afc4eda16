//! The pure discovery core: from a listing of the schema prefix to tables.
//!
//! What each key is (`classify`), Hive partition directories (`partition`), and a listing
//! grouped into tables (`tables`). No I/O: everything here works on listings already
//! fetched, so it is property-tested.

pub mod classify;
mod parallel;
pub mod partition;
pub mod tables;

/// One object of a listing under the schema prefix, as discovery sees it: its key (decoded
/// once from the listing's URL encoding) and its size. The S3 layer converts its listing
/// pages into these; discovery needs nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// The object key, exactly as stored (never normalised).
    pub key: String,
    /// The object's size in bytes.
    pub size: u64,
}
