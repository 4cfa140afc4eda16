//! Nothing to see here: this crate exists for its `tests/`, which use `s3-harness`
//! exactly as a connector team's own crate would, through the public API alone (one
//! dependency, `s3_harness::aws_sdk_s3` for the client types).
