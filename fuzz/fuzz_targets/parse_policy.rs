//! Feeds arbitrary bytes to the bucket and identity policy parsers, and evaluates
//! whatever parses: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3_policy::Caller;
use s3_policy::{Context, EvalRequest, PolicyKind, PolicySet, evaluate, parse_policy, to_json, parse_policy_value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in [PolicyKind::Bucket("fuzz-bucket"), PolicyKind::Identity] {
        let Ok(policy) = parse_policy(text, kind) else { continue };
        assert_eq!(parse_policy_value(&to_json(&policy), kind).as_ref(), Ok(&policy));
        let caller = Caller::from_arn("arn:aws:iam::222222222222:role/R", "s").expect("valid ARN");
        let ctx = Context::new().with("aws:SecureTransport", "false").with("s3:prefix", "a/");
        let req = EvalRequest {
            caller: &caller,
            action: "s3:GetObject",
            api: Some("GetObject"),
            resource: "arn:aws:s3:::fuzz-bucket/a/b",
            context: &ctx,
            bucket_owner: "111111111111",
            object: None,
        };
        let _ = evaluate(&req, PolicySet { bucket: Some(&policy), identity: None });
    }
});
