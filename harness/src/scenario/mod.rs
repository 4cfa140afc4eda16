//! Scenario files (CONTRACTS section 1): a simulated AWS world, the connection a user
//! typed, and optional simulator behaviour, loaded from TOML with precise errors.

mod model;

pub use model::*;
