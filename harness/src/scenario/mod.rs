//! Scenario files (docs/scenario-format.md): a simulated AWS world, the connection a user
//! typed, and optional simulator behaviour, loaded from TOML with precise errors.

mod brace;
mod bundled;
mod discover;
mod error;
mod faults;
mod load;
mod model;
pub mod names;
mod raw;

pub use brace::{BraceError, BraceErrorKind, MAX_EXPANSION, NotVirtual, expand_braces, key_space};
pub use bundled::BUNDLED_FIXTURES;
pub use discover::discover;
pub use error::ScenarioError;
pub use load::{
    LoadOptions, MAX_KEY_BYTES, VIRTUAL_FROM, load_scenario, load_scenario_with, parse_scenario, parse_scenario_with,
};
pub use model::*;
pub use names::validate_bucket_name;
