//! Wildcard patterns (placeholder until written).
