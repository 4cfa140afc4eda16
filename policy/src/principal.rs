//! The `Principal` and `NotPrincipal` elements: which values are valid, and whether they name a caller.
//!
//! The rules are those of PutBucketPolicy and of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html> and
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>.

use crate::iam::Caller;
use crate::model::{PrincipalType, Principals};

/// How a caller matched a `Principal` element; it decides whether a same-account
/// bucket policy grants on its own or delegates to the caller's IAM policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalMatch {
    /// `"*"` or `{"AWS": "*"}`.
    Everyone,
    /// The caller's account, as `arn:aws:iam::A:root` or `"A"`: in the bucket owner's
    /// own account this only delegates to IAM
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>).
    Account(String),
    /// The caller's user, role or session ARN.
    Specific(String),
}

/// Why a principal value is refused ("Invalid principal in policy").
pub(crate) fn validate_value(kind: PrincipalType, value: &str) -> Result<(), &'static str> {
    match kind {
        PrincipalType::Aws => validate_aws(value),
        PrincipalType::Service => {
            let ok = value.ends_with(".amazonaws.com") || value.ends_with(".amazonaws.com.cn");
            if ok && !value.contains(['*', '?']) {
                Ok(())
            } else {
                Err("a service principal looks like `s3.amazonaws.com`")
            }
        }
        PrincipalType::Federated => {
            let known = [
                "cognito-identity.amazonaws.com",
                "www.amazon.com",
                "graph.facebook.com",
                "accounts.google.com",
            ];
            let provider = value.starts_with("arn:aws:iam::")
                && (value.contains(":saml-provider/") || value.contains(":oidc-provider/"));
            if known.contains(&value) || provider {
                Ok(())
            } else {
                Err("not a federation provider")
            }
        }
        PrincipalType::CanonicalUser => {
            if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                Err("a canonical user id is 64 hexadecimal characters")
            }
        }
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn validate_aws(value: &str) -> Result<(), &'static str> {
    if value == "*" || is_account(value) {
        return Ok(());
    }
    if value.contains(['*', '?']) {
        return Err("a principal cannot hold a partial wildcard; only a lone `*` means everyone");
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Err("expected an account id or an IAM/STS ARN");
    };
    if arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account(account) {
        return Err("expected arn:aws:iam::ACCOUNT:... or arn:aws:sts::ACCOUNT:...");
    }
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    };
    let ok = match service {
        "iam" => resource == "root" || named("user/") || named("role/"),
        "sts" => {
            named("federated-user/")
                || resource
                    .strip_prefix("assumed-role/")
                    .and_then(|r| r.split_once('/'))
                    .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err("expected a root, user, role, assumed-role or federated-user ARN")
    }
}

/// Whether one `AWS` principal value names the caller, and how.
fn match_aws(value: &str, caller: &Caller) -> Option<PrincipalMatch> {
    if value == "*" {
        return Some(PrincipalMatch::Everyone);
    }
    let account = caller.account()?;
    if value == account || value == format!("arn:aws:iam::{account}:root") {
        return Some(PrincipalMatch::Account(account.to_owned()));
    }
    let named = match caller {
        Caller::AssumedRole {
            principal_arn,
            session_arn,
            ..
        } => value == principal_arn || value == session_arn,
        Caller::User { principal_arn, .. } => value == principal_arn,
        Caller::Account { .. } | Caller::Anonymous => false,
    };
    named.then(|| PrincipalMatch::Specific(value.to_owned()))
}

/// How `principals` names the caller, or `None`. The most specific match wins, so a
/// statement naming both the account and the role grants as the role.
pub(crate) fn matches(principals: &Principals, caller: &Caller) -> Option<PrincipalMatch> {
    match principals {
        Principals::Everyone => Some(PrincipalMatch::Everyone),
        Principals::Typed(map) => {
            let values = map.get(&PrincipalType::Aws)?;
            let mut found: Vec<PrincipalMatch> = values.iter().filter_map(|v| match_aws(v, caller)).collect();
            found.sort_by_key(|m| match m {
                PrincipalMatch::Specific(_) => 0,
                PrincipalMatch::Everyone => 1,
                PrincipalMatch::Account(_) => 2,
            });
            found.into_iter().next()
        }
    }
}

/// The identities a request is checked as, from the account down: S3 may evaluate the
/// account, then the role, then the session, so a `NotPrincipal` exempts a caller only
/// when it lists every one of them (the NotPrincipal page's advice, taken as the rule).
fn chain(caller: &Caller) -> Vec<String> {
    match caller {
        Caller::AssumedRole {
            account,
            principal_arn,
            session_arn,
            ..
        } => vec![
            format!("arn:aws:iam::{account}:root"),
            principal_arn.clone(),
            session_arn.clone(),
        ],
        Caller::User {
            account, principal_arn, ..
        } => vec![format!("arn:aws:iam::{account}:root"), principal_arn.clone()],
        Caller::Account { account, .. } => vec![format!("arn:aws:iam::{account}:root")],
        Caller::Anonymous => vec!["anonymous".to_owned()],
    }
}

/// Whether a `NotPrincipal` statement applies to the caller: it does unless the list
/// names `*` or every identity in the caller's chain. Returns the first identity of
/// the chain that is not listed (the reason it applies).
pub(crate) fn not_principal_applies(principals: &Principals, caller: &Caller) -> Option<String> {
    let values: Vec<&str> = match principals {
        Principals::Everyone => return None,
        Principals::Typed(map) => map
            .get(&PrincipalType::Aws)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default(),
    };
    if values.contains(&"*") {
        return None;
    }
    let listed = |id: &str| {
        values
            .iter()
            .any(|v| *v == id || (is_account(v) && id == format!("arn:aws:iam::{v}:root")))
    };
    chain(caller).into_iter().find(|id| !listed(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn aws(values: &[&str]) -> Principals {
        Principals::Typed(BTreeMap::from([(
            PrincipalType::Aws,
            values.iter().map(|s| s.to_string()).collect(),
        )]))
    }

    fn session() -> Caller {
        Caller::from_arn("arn:aws:iam::222222222222:role/Reader", "s1").unwrap()
    }

    #[test]
    fn partial_wildcards_are_invalid_principals() {
        assert!(validate_value(PrincipalType::Aws, "arn:aws:iam::222222222222:role/*").is_err());
        assert!(validate_value(PrincipalType::Aws, "arn:aws:sts::222222222222:assumed-role/R/*").is_err());
        assert!(validate_value(PrincipalType::Aws, "*").is_ok());
        assert!(validate_value(PrincipalType::Aws, "222222222222").is_ok());
        assert!(validate_value(PrincipalType::Aws, "22222222222").is_err());
        assert!(validate_value(PrincipalType::Aws, "arn:aws:iam::222222222222:group/g").is_err());
    }

    #[test]
    fn account_role_and_session_matching() {
        let c = session();
        assert_eq!(
            matches(&aws(&["222222222222"]), &c),
            Some(PrincipalMatch::Account("222222222222".into()))
        );
        assert!(matches!(
            matches(&aws(&["arn:aws:iam::222222222222:role/Reader"]), &c),
            Some(PrincipalMatch::Specific(_))
        ));
        assert!(matches!(
            matches(&aws(&["arn:aws:sts::222222222222:assumed-role/Reader/s1"]), &c),
            Some(PrincipalMatch::Specific(_))
        ));
        assert_eq!(
            matches(&aws(&["arn:aws:sts::222222222222:assumed-role/Reader/s2"]), &c),
            None
        );
        assert_eq!(matches(&aws(&["arn:aws:iam::222222222222:role/Other"]), &c), None);
        assert_eq!(
            matches(&aws(&["arn:aws:iam::222222222222:root"]), &Caller::Anonymous),
            None
        );
        assert_eq!(
            matches(&aws(&["*"]), &Caller::Anonymous),
            Some(PrincipalMatch::Everyone)
        );
        assert_eq!(
            matches(&Principals::Everyone, &Caller::Anonymous),
            Some(PrincipalMatch::Everyone)
        );
    }

    #[test]
    fn not_principal_needs_the_whole_chain() {
        let c = session();
        let role_only = aws(&["arn:aws:iam::222222222222:role/Reader"]);
        assert_eq!(
            not_principal_applies(&role_only, &c).as_deref(),
            Some("arn:aws:iam::222222222222:root")
        );
        let all = aws(&[
            "222222222222",
            "arn:aws:iam::222222222222:role/Reader",
            "arn:aws:sts::222222222222:assumed-role/Reader/s1",
        ]);
        assert_eq!(not_principal_applies(&all, &c), None);
        assert!(not_principal_applies(&all, &Caller::Anonymous).is_some());
    }
}
