//! Hive partition segments (placeholder until written).
