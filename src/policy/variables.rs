//! Policy variables (placeholder until written).
