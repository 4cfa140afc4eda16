//! The one error type of the library.

use std::path::PathBuf;

use crate::scenario::ScenarioError;
use crate::sim::world::WorldError;

/// Why a simulator could not be started, a client made, or a scenario run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scenario file could not be read or is not a valid scenario; its message
    /// starts with `PATH:LINE:COLUMN:` (see [`ScenarioError::position`]).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The world a scenario or a builder describes cannot exist (two buckets of one
    /// name, an access key used twice, an identity policy IAM refuses, ...).
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    World {
        /// The scenario file, when the world came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        #[source]
        source: WorldError,
    },
    /// A bucket policy given to [`crate::SimulatorBuilder::policy`] that
    /// PutBucketPolicy would refuse (a scenario file instead records it and leaves
    /// the bucket without a policy, as a failed save in the console would).
    #[error("bucket `{bucket}`: {code}: {message}")]
    MalformedPolicy {
        /// The bucket.
        bucket: String,
        /// S3's error code.
        code: &'static str,
        /// S3's message.
        message: String,
    },
    /// A builder call names a bucket no `.bucket(..)` declared.
    #[error("bucket `{0}` is not declared; add it with .bucket(name, region, owner) first")]
    UnknownBucket(String),
    /// [`crate::Who`] names no identity of the world.
    #[error("no identity {0} in this world")]
    UnknownIdentity(String),
    /// `run_scenario_file` was given a scenario with no `[connection]`.
    #[error("{}: the scenario has no [connection] to run", .0.display())]
    NoConnection(PathBuf),
    /// `preview` or `import` named a table the connection did not discover.
    #[error("{path}: no table `{table}`; discovered: {}", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    NoSuchTable {
        /// The scenario file.
        path: PathBuf,
        /// The table asked for.
        table: String,
        /// The tables discovered, by name.
        available: Vec<String>,
    },
    /// Reading a table's rows stopped.
    #[error(transparent)]
    Read(#[from] s3_connector::read::ReadError),
    /// The Parquet file could not be written.
    #[error("writing {}: {message}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The server could not listen.
    #[error("cannot start the simulator on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The scenario file, line and column of a scenario error.
    pub fn position(&self) -> Option<(&std::path::Path, usize, usize)> {
        match self {
            Self::Scenario(e) => e.position().map(|(line, column)| (e.path(), line, column)),
            _ => None,
        }
    }
}
