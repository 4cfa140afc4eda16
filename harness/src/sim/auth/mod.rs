//! Who may do what: SigV4 identities, the gate every request passes, the S3 operation
//! to IAM action table, and the authorizer that asks the IAM engine.

pub mod actions;
pub mod authorizer;
pub mod gate;
pub mod header_sigv4;
pub mod sigv4;
