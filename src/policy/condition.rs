//! Condition operators (placeholder until written).
