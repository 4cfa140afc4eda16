//! Errors from loading a scenario file, positioned as `PATH:LINE:COL: MESSAGE`.

use std::path::{Path, PathBuf};

/// Why a scenario file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not a valid scenario; `line` and `column` are 1-based, the column
    /// counted in characters so that it matches what editors show.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The scenario file, as given to the loader.
        path: PathBuf,
        /// Line of the offending text, from 1.
        line: usize,
        /// Column of the offending text in characters, from 1.
        column: usize,
        /// What is wrong, without the path and position.
        message: String,
    },
    /// The scenario file itself could not be read. The I/O error is in the message
    /// rather than the error chain so that it is printed exactly once.
    #[error("{}: cannot read scenario file: {error}", path.display())]
    Io {
        /// The scenario file, as given to the loader.
        path: PathBuf,
        /// Why reading it failed.
        error: std::io::Error,
    },
}

impl ScenarioError {
    /// An `Invalid` error at byte `offset` of `text`; an offset past the end or inside
    /// a character is clamped, since positions only serve to point the reader.
    pub(crate) fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text, offset);
        Self::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The scenario file the error is about, as given to the loader.
    pub fn path(&self) -> &Path {
        match self {
            Self::Invalid { path, .. } | Self::Io { path, .. } => path,
        }
    }

    /// 1-based line and column, or `None` for an I/O error.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Invalid { line, column, .. } => Some((*line, *column)),
            Self::Io { .. } => None,
        }
    }

    /// What was wrong, without the path and position.
    pub fn message(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            Self::Io { error, .. } => format!("cannot read scenario file: {error}"),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let t = "ab\ncdé\r\nf";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 2), (1, 3));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 5), (2, 3));
        // Inside `é`: clamped back to its start.
        assert_eq!(line_column(t, 6), (2, 3));
        assert_eq!(line_column(t, 7), (2, 4));
        assert_eq!(line_column(t, 9), (3, 1));
        assert_eq!(line_column(t, 1000), (3, 2));
        assert_eq!(line_column("", 5), (1, 1));
    }

    #[test]
    fn display() {
        let e = ScenarioError::at(Path::new("s/x.toml"), "a\nbcd", 4, "expected a string");
        assert_eq!(e.to_string(), "s/x.toml:2:3: expected a string");
        assert_eq!(e.position(), Some((2, 3)));
    }
}
