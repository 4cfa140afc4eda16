use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a listing something is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Position {
    /// The file as a whole.
    File,
    /// A 1-based line of a text listing (or of a JSON document).
    Line(usize),
    /// The `n`-th (1-based) JSON document (page) of a file.
    Page(usize),
    /// The `index`-th (1-based) object of the `page`-th (1-based) JSON document.
    Item {
        /// The JSON document (page) in the file, from 1.
        page: usize,
        /// The object in that page's `Contents`, from 1.
        index: usize,
    },
    /// A 1-based row of an Inventory data file.
    Row(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File => Ok(()),
            Self::Line(n) => write!(f, ":{n}"),
            Self::Page(n) => write!(f, " (page {n})"),
            Self::Item { page, index } => write!(f, " (page {page}, object {index})"),
            Self::Row(n) => write!(f, " (row {n})"),
        }
    }
}

/// Why a pasted listing could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListingError {
    /// The file (or an Inventory data file) could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The content is not a listing this reader understands, or is one with a problem.
    #[error("{}{at}: {what}", path.display())]
    Invalid {
        /// The listing file (or the Inventory data file) at fault.
        path: PathBuf,
        /// Where in it.
        at: Position,
        /// What is wrong, and what to run instead when the paste is of the wrong command.
        what: String,
    },
}

impl ListingError {
    pub(crate) fn invalid(path: &Path, at: Position, what: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            at,
            what: what.into(),
        }
    }
}
