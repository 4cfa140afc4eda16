//! Who is calling: AWS principals as IAM sees them, parsed from their ARNs.
//!
//! Principal ARN shapes follow
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>
//! and the principal element rules of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The caller of a request, as the policy evaluator needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Caller {
    /// A session of an IAM role (`arn:aws:sts::A:assumed-role/R/S`).
    AssumedRole {
        /// The 12-digit account the role belongs to.
        account: String,
        /// The role ARN: `arn:aws:iam::A:role/R` (with its path, if any).
        principal_arn: String,
        /// `arn:aws:sts::A:assumed-role/R/S`.
        session_arn: String,
        /// The role's unique id (`AROA...`).
        role_id: String,
        /// The name given when the role was assumed (`aws:userid` ends with it).
        session_name: String,
    },
    /// An IAM user (`arn:aws:iam::A:user/U`).
    User {
        /// The 12-digit account the user belongs to.
        account: String,
        /// `arn:aws:iam::A:user/U`, with its path if any.
        principal_arn: String,
        /// The last segment of the ARN, which `aws:username` holds.
        user_name: String,
        /// The user's unique id (`AIDA...`).
        user_id: String,
    },
    /// The account's root user (`arn:aws:iam::A:root`).
    Account {
        /// The 12-digit account.
        account: String,
        /// `arn:aws:iam::A:root`.
        principal_arn: String,
    },
    /// An unsigned request.
    Anonymous,
}

/// An ARN that does not name a principal a request can be signed by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{arn}` is not a principal ARN: {reason}")]
pub struct ArnError {
    /// The ARN as given.
    pub arn: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Caller {
    /// Parses the ARN of a signing principal: a user, a root user, a role (whose
    /// session is then named `session_name`) or an assumed-role session.
    ///
    /// Unique ids (`AIDA…`, `AROA…`) are derived from the ARN so that they are stable
    /// across runs of the same world.
    pub fn from_arn(arn: &str, session_name: &str) -> Result<Self, ArnError> {
        let err = |reason| ArnError {
            arn: arn.to_owned(),
            reason,
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return Err(err("expected arn:aws:SERVICE::ACCOUNT:RESOURCE"));
        };
        if prefix != "arn" || partition.is_empty() {
            return Err(err("expected it to start with `arn:aws:`"));
        }
        if !region.is_empty() {
            return Err(err("IAM and STS ARNs have no region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the account must be 12 digits"));
        }
        let account = account.to_owned();
        match (service, resource) {
            ("iam", "root") => Ok(Self::Account {
                principal_arn: arn.to_owned(),
                account,
            }),
            ("iam", r) if r.starts_with("user/") => {
                let user_name = r.rsplit('/').next().unwrap_or_default().to_owned();
                if user_name.is_empty() {
                    return Err(err("the user name is empty"));
                }
                Ok(Self::User {
                    user_id: unique_id("AIDA", arn),
                    principal_arn: arn.to_owned(),
                    user_name,
                    account,
                })
            }
            ("iam", r) if r.starts_with("role/") => {
                let role_name = r.rsplit('/').next().unwrap_or_default();
                if role_name.is_empty() {
                    return Err(err("the role name is empty"));
                }
                Ok(Self::AssumedRole {
                    session_arn: format!("arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"),
                    role_id: unique_id("AROA", arn),
                    principal_arn: arn.to_owned(),
                    session_name: session_name.to_owned(),
                    account,
                })
            }
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut it = r["assumed-role/".len()..].splitn(2, '/');
                let (Some(role), Some(session)) = (it.next(), it.next()) else {
                    return Err(err("expected assumed-role/ROLE/SESSION"));
                };
                if role.is_empty() || session.is_empty() {
                    return Err(err("expected assumed-role/ROLE/SESSION"));
                }
                // The session ARN drops the role's path; aws:PrincipalArn is the role
                // ARN without it too, which is what IAM reports for such sessions.
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                Ok(Self::AssumedRole {
                    role_id: unique_id("AROA", &role_arn),
                    principal_arn: role_arn,
                    session_arn: arn.to_owned(),
                    session_name: session.to_owned(),
                    account,
                })
            }
            _ => Err(err("expected a root, user, role or assumed-role ARN")),
        }
    }

    /// The account the caller belongs to; `None` for anonymous callers.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::AssumedRole { account, .. } | Self::User { account, .. } | Self::Account { account, .. } => {
                Some(account)
            }
            Self::Anonymous => None,
        }
    }

    /// The ARN that identifies this caller in logs and in CloudTrail's `userIdentity.arn`:
    /// the session ARN for an assumed role.
    pub fn arn(&self) -> &str {
        match self {
            Self::AssumedRole { session_arn, .. } => session_arn,
            Self::User { principal_arn, .. } | Self::Account { principal_arn, .. } => principal_arn,
            Self::Anonymous => "anonymous",
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.arn())
    }
}

/// A stable 21-character unique id of the shape IAM uses (`AIDA`/`AROA` + 17 chars).
fn unique_id(prefix: &str, seed: &str) -> String {
    // FNV-1a: stable across platforms and runs, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::from(prefix);
    for i in 0..17 {
        let shift = (i * 5) % 60;
        id.push(ALPHABET[((h >> shift) & 31) as usize] as char);
        if i == 11 {
            h = h.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_becomes_a_session_of_that_role() {
        let c = Caller::from_arn("arn:aws:iam::999988887777:role/connector-acme", "s3-connector").unwrap();
        let Caller::AssumedRole {
            session_arn,
            principal_arn,
            role_id,
            ..
        } = &c
        else {
            panic!("{c:?}")
        };
        assert_eq!(
            session_arn,
            "arn:aws:sts::999988887777:assumed-role/connector-acme/s3-connector"
        );
        assert_eq!(principal_arn, "arn:aws:iam::999988887777:role/connector-acme");
        assert!(role_id.starts_with("AROA") && role_id.len() == 21);
        assert_eq!(c.account(), Some("999988887777"));
    }

    #[test]
    fn user_and_root_and_session() {
        assert!(matches!(
            Caller::from_arn("arn:aws:iam::111122223333:user/admin", "x").unwrap(),
            Caller::User { ref user_name, .. } if user_name == "admin"
        ));
        assert!(matches!(
            Caller::from_arn("arn:aws:iam::111122223333:root", "x").unwrap(),
            Caller::Account { .. }
        ));
        let s = Caller::from_arn("arn:aws:sts::111122223333:assumed-role/R/sess", "x").unwrap();
        assert_eq!(s.arn(), "arn:aws:sts::111122223333:assumed-role/R/sess");
    }

    #[test]
    fn rejects_non_principals() {
        for arn in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::12:root",
            "arn:aws:iam::111122223333:group/g",
            "arn:aws:iam::111122223333:user/",
        ] {
            assert!(Caller::from_arn(arn, "s").is_err(), "{arn}");
        }
    }
}
