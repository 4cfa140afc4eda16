//! AWS name rules: the connector's (`s3_connector::names`), and IAM role names, which
//! the scenario loader and `policy generate` both check.

pub use s3_connector::names::*;

/// IAM role names: 1-64 of letters, digits and `+=,.@_-`
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>); checked
/// because the name is pasted into the ARN the connector signs as.
pub fn validate_role_name(role: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if (1..=64).contains(&role.len()) && role.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "`{role}` is not an IAM role name; expected 1 to 64 letters, digits or +=,.@_- \
             (the name only, not the ARN)"
        ))
    }
}
