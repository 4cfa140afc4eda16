//! Scenario loading end to end: the model built, every kind of error and its position.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use s3_connector::config::{DataFormat, Partitioning};
use s3_harness::scenario::{
    BucketPolicySpec, LoadOptions, ObjectSource, PlatformSpec, Scenario, ScenarioError, load_scenario, parse_scenario,
    parse_scenario_with,
};

/// A fresh directory for one test, laid out like a repository: `root/fixtures/` and
/// `root/scenarios/`.
fn repo(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "scenario-load-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("fixtures")).unwrap();
    std::fs::create_dir_all(dir.join("scenarios/sub")).unwrap();
    dir
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn parse(text: &str) -> Scenario {
    match parse_scenario(Path::new("t.toml"), text) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Line, column and message of the error `text` gives.
fn error(text: &str) -> (usize, usize, String) {
    error_in(Path::new("t.toml"), text)
}

fn error_in(path: &Path, text: &str) -> (usize, usize, String) {
    match parse_scenario(path, text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(ScenarioError::Invalid {
            line, column, message, ..
        }) => (line, column, message),
        Err(e) => panic!("not a positioned error: {e}"),
    }
}

#[track_caller]
fn assert_error(text: &str, line: usize, column: usize, needle: &str) {
    let (l, c, m) = error(text);
    assert_eq!((l, c), (line, column), "{m}");
    assert!(m.contains(needle), "`{m}` does not contain `{needle}`");
}

const BUCKET: &str = r#"description = "d"
[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
"#;

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn contract_example_loads() {
    let root = repo("contract");
    write(&root.join("fixtures/users.parquet"), b"PAR1...PAR1");
    write(&root.join("fixtures/clicks.csv"), b"id,at\n1,2\n");
    let text = r#"
description = "Two daily-partitioned Parquet tables; generated policy applied"

[connection]
name = "acme audiences"
region = "eu-west-1"
bucket = "acme-data"
schema_prefix = "data/audiences/"
format = "parquet"
partitioning = "all"

[platform]
account = "999988887777"
role = "connector-acme"

[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
policy = "generated"

[[buckets.objects]]
key = "data/audiences/users/date=2025-01-01/part-0.parquet"
fixture = "users.parquet"

[[buckets.objects]]
key = "data/audiences/users/_SUCCESS"
body = ""

[[buckets.objects]]
key = "data/audiences/clicks/date=2025-01-{01..31}/part-{0..3}.csv.gz"
fixture = "clicks.csv"
gzip = true

[[buckets.objects]]
key = "data/audiences/huge/part-0.parquet"
size = 5000000000
content_type = "application/vnd.apache.parquet"

[[identities]]
name = "owner-admin"
arn = "arn:aws:iam::111122223333:user/admin"
access_key = "AKIAOWNERADMIN000001"
secret_key = "owner-admin-secret"
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'''

[faults]
latency_ms = 5
error_rate = 0.25
seed = 7
"#;
    let path = root.join("scenarios/sub/daily.toml");
    write(&path, text);
    let s = load_scenario(&path).unwrap();
    assert_eq!(s.path, path);
    assert!(s.description.starts_with("Two daily"));
    let c = s.connection.unwrap();
    assert_eq!(c.name, "acme audiences");
    assert_eq!(c.schema_prefix, "data/audiences/");
    assert_eq!(c.format, DataFormat::Parquet);
    assert_eq!(c.partitioning, Partitioning::All);
    assert_eq!(s.platform.account, "999988887777");
    assert_eq!(s.platform.role, "connector-acme");
    assert_eq!(s.platform.policy, None);
    assert_eq!(s.platform.access_key, PlatformSpec::DEFAULT_ACCESS_KEY);
    assert_eq!(s.platform.secret_key, PlatformSpec::DEFAULT_SECRET_KEY);

    let [b] = s.buckets.as_slice() else {
        panic!("{:?}", s.buckets)
    };
    assert_eq!(
        (b.name.as_str(), b.region.as_str(), b.owner.as_str()),
        ("acme-data", "eu-west-1", "111122223333")
    );
    assert_eq!(b.policy, BucketPolicySpec::Generated);
    assert_eq!(b.objects.len(), 1 + 1 + 31 * 4 + 1);
    let users = std::fs::canonicalize(root.join("fixtures/users.parquet")).unwrap();
    assert_eq!(b.objects[0].source, ObjectSource::File(users));
    assert_eq!(b.objects[1].source, ObjectSource::Inline(bytes::Bytes::new()));
    assert_eq!(b.objects[2].key, "data/audiences/clicks/date=2025-01-01/part-0.csv.gz");
    assert_eq!(b.objects[3].key, "data/audiences/clicks/date=2025-01-01/part-1.csv.gz");
    assert_eq!(
        b.objects[125].key,
        "data/audiences/clicks/date=2025-01-31/part-3.csv.gz"
    );
    let ObjectSource::Inline(gz) = &b.objects[2].source else {
        panic!("{:?}", b.objects[2].source)
    };
    assert_eq!(gunzip(gz), b"id,at\n1,2\n");
    let last = b.objects.last().unwrap();
    assert_eq!(last.source, ObjectSource::Sized(5_000_000_000));
    assert_eq!(last.content_type.as_deref(), Some("application/vnd.apache.parquet"));
    assert_eq!(b.objects[0].content_type, None);

    let [id] = s.identities.as_slice() else {
        panic!("{:?}", s.identities)
    };
    assert_eq!(id.name, "owner-admin");
    assert_eq!(id.arn, "arn:aws:iam::111122223333:user/admin");
    assert_eq!(id.access_key, "AKIAOWNERADMIN000001");
    assert!(id.policy.as_deref().unwrap().contains("s3:*"));
    let f = s.faults.unwrap();
    assert_eq!((f.latency_ms, f.error_rate, f.seed), (5, 0.25, 7));
}

#[test]
fn defaults() {
    let s = parse("description = \"minimal\"\n");
    assert!(s.connection.is_none());
    assert_eq!(
        s.platform,
        PlatformSpec {
            account: PlatformSpec::DEFAULT_ACCOUNT.into(),
            role: PlatformSpec::DEFAULT_ROLE.into(),
            policy: None,
            access_key: PlatformSpec::DEFAULT_ACCESS_KEY.into(),
            secret_key: PlatformSpec::DEFAULT_SECRET_KEY.into(),
            inventory: None,
        }
    );
    assert!(s.buckets.is_empty() && s.identities.is_empty() && s.faults.is_none());

    let s = parse("description = \"\"\n[platform]\n[faults]\n");
    assert_eq!(s.platform.role, PlatformSpec::DEFAULT_ROLE);
    let f = s.faults.unwrap();
    assert_eq!((f.latency_ms, f.error_rate, f.seed), (0, 0.0, 1));

    let s = parse(BUCKET);
    assert_eq!(s.buckets[0].policy, BucketPolicySpec::None);
    assert!(s.buckets[0].objects.is_empty());
}

#[test]
fn platform_overrides() {
    let s = parse(
        r#"description = "d"
[platform]
account = "123456789012"
role = "reader+x=y,z.w@v_u-t"
access_key = "AKIAOTHER"
secret_key = "s"
policy = ' {"Version":"2012-10-17","Statement":[]}'
"#,
    );
    assert_eq!(s.platform.account, "123456789012");
    assert_eq!(s.platform.access_key, "AKIAOTHER");
    assert_eq!(s.platform.secret_key, "s");
    assert_eq!(
        s.platform.policy.as_deref(),
        Some(r#" {"Version":"2012-10-17","Statement":[]}"#)
    );
}

#[test]
fn bucket_policy_forms() {
    let with = |p: &str| parse(&format!("{BUCKET}policy = {p}\n")).buckets[0].policy.clone();
    assert_eq!(with("\"none\""), BucketPolicySpec::None);
    assert_eq!(with("\"generated\""), BucketPolicySpec::Generated);
    assert_eq!(
        with(r#"'{"Statement":[]}'"#),
        BucketPolicySpec::Json("{\"Statement\":[]}".into())
    );
    // Not validated here: the policy evaluator reports malformed policies as S3 would.
    assert_eq!(with("'{ not json'"), BucketPolicySpec::Json("{ not json".into()));
}

#[test]
fn policy_files_resolve_like_fixtures() {
    let root = repo("policy-file");
    write(&root.join("scenarios/sub/local.json"), "{\"local\":1}");
    write(&root.join("fixtures/shared.json"), "{\"shared\":1}");
    let path = root.join("scenarios/sub/p.toml");
    let text = format!(
        "{BUCKET}policy = {{ file = \"local.json\" }}\n\
         [[identities]]\nname = \"a\"\narn = \"arn:aws:iam::111122223333:user/a\"\n\
         access_key = \"AK1\"\nsecret_key = \"s\"\npolicy = {{ file = \"shared.json\" }}\n\
         [platform]\npolicy = {{ file = \"local.json\" }}\n"
    );
    let s = parse_scenario(&path, &text).unwrap();
    assert_eq!(s.buckets[0].policy, BucketPolicySpec::Json("{\"local\":1}".into()));
    assert_eq!(s.identities[0].policy.as_deref(), Some("{\"shared\":1}"));
    assert_eq!(s.platform.policy.as_deref(), Some("{\"local\":1}"));

    let (l, c, m) = error_in(&path, &format!("{BUCKET}policy = {{ file = \"nope.json\" }}\n"));
    assert_eq!((l, c), (6, 10));
    assert!(m.contains("policy file `nope.json` not found"), "{m}");
}

#[test]
fn fixtures_resolve_next_to_the_scenario_first_then_in_repo_fixtures() {
    let root = repo("fixtures");
    write(&root.join("fixtures/both.csv"), "repo");
    write(&root.join("fixtures/repo-only.csv"), "repo");
    write(&root.join("fixtures/nested/deep.csv"), "");
    write(&root.join("scenarios/sub/both.csv"), "local");
    let text = format!(
        "{BUCKET}\
         [[buckets.objects]]\nkey = \"a\"\nfixture = \"both.csv\"\n\
         [[buckets.objects]]\nkey = \"b\"\nfixture = \"repo-only.csv\"\n\
         [[buckets.objects]]\nkey = \"c\"\nfixture = \"nested/deep.csv\"\n\
         [[buckets.objects]]\nkey = \"d\"\nfixture = \"../sub/both.csv\"\n"
    );
    let path = root.join("scenarios/sub/f.toml");
    let s = parse_scenario(&path, &text).unwrap();
    let canon = |p: &str| ObjectSource::File(std::fs::canonicalize(root.join(p)).unwrap());
    let sources: Vec<_> = s.buckets[0].objects.iter().map(|o| o.source.clone()).collect();
    assert_eq!(
        sources,
        [
            canon("scenarios/sub/both.csv"),
            canon("fixtures/repo-only.csv"),
            canon("fixtures/nested/deep.csv"),
            canon("scenarios/sub/both.csv"),
        ]
    );

    // A relative scenario path works too: fixtures are found from the current directory.
    let rel = pathdiff(&path);
    let s = parse_scenario(&rel, &text).unwrap();
    assert_eq!(s.buckets[0].objects[1].source, sources[1]);
}

/// `path` relative to the current directory, through `..` as needed.
fn pathdiff(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let common = cwd.ancestors().find(|a| path.starts_with(a)).unwrap().to_path_buf();
    let ups = cwd.strip_prefix(&common).unwrap().components().count();
    let mut rel = PathBuf::new();
    for _ in 0..ups {
        rel.push("..");
    }
    rel.join(path.strip_prefix(&common).unwrap())
}

#[test]
fn missing_fixture_names_both_places() {
    let root = repo("missing");
    let path = root.join("scenarios/sub/m.toml");
    let text = format!("{BUCKET}[[buckets.objects]]\nkey = \"a\"\nfixture = \"gone.csv\"\n");
    let (l, c, m) = error_in(&path, &text);
    assert_eq!((l, c), (8, 11));
    let local = root.join("scenarios/sub/gone.csv");
    let shared = root.join("fixtures/gone.csv");
    assert!(m.contains("fixture `gone.csv` not found"), "{m}");
    assert!(m.contains(&local.display().to_string()), "{m}");
    assert!(m.contains(&shared.display().to_string()), "{m}");
}

#[test]
fn gzip_is_done_once_and_shared() {
    let root = repo("gzip");
    write(&root.join("fixtures/c.csv"), "a,b\n1,2\n");
    let text = format!(
        "{BUCKET}\
         [[buckets.objects]]\nkey = 'x/{{0..2}}.csv.gz'\nfixture = \"c.csv\"\ngzip = true\n\
         [[buckets.objects]]\nkey = 'y.csv.gz'\nfixture = \"../../fixtures/c.csv\"\ngzip = true\n\
         [[buckets.objects]]\nkey = 'z/{{a,b}}.gz'\nbody = \"hello\"\ngzip = true\n\
         [[buckets.objects]]\nkey = 'w/{{a,b}}'\nbody = \"plain\"\n\
         [[buckets.objects]]\nkey = 'v'\nfixture = \"c.csv\"\ngzip = false\n"
    );
    let s = parse_scenario(&root.join("scenarios/sub/g.toml"), &text).unwrap();
    let objs = &s.buckets[0].objects;
    let inline = |i: usize| match &objs[i].source {
        ObjectSource::Inline(b) => b.clone(),
        other => panic!("{other:?}"),
    };
    let keys: Vec<_> = objs.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "x/0.csv.gz",
            "x/1.csv.gz",
            "x/2.csv.gz",
            "y.csv.gz",
            "z/a.gz",
            "z/b.gz",
            "w/a",
            "w/b",
            "v"
        ]
    );
    assert_eq!(gunzip(&inline(0)), b"a,b\n1,2\n");
    // All keys of one fixture, even through another spelling of its path, share one buffer.
    for i in 1..4 {
        assert_eq!(inline(i).as_ptr(), inline(0).as_ptr(), "object {i}");
    }
    assert_eq!(gunzip(&inline(4)), b"hello");
    assert_eq!(inline(4).as_ptr(), inline(5).as_ptr());
    assert_eq!(&inline(6)[..], b"plain");
    assert_eq!(inline(6).as_ptr(), inline(7).as_ptr());
    assert!(matches!(objs[8].source, ObjectSource::File(_)));
}

#[test]
fn escaped_braces_are_literal() {
    let text = format!(
        "{BUCKET}\
         [[buckets.objects]]\nkey = '\\{{x\\}}/{{a,b}}'\nsize = 1\n\
         [[buckets.objects]]\nkey = \"\\\\{{y\\\\}}\"\nsize = 1\n"
    );
    let keys: Vec<_> = parse(&text).buckets[0].objects.iter().map(|o| o.key.clone()).collect();
    assert_eq!(keys, ["{x}/a", "{x}/b", "{y}"]);
}

#[test]
fn display_is_path_line_column_message() {
    let e = parse_scenario(
        Path::new("scenarios/bad.toml"),
        "description = \"d\"\n[faults]\nseed = \"one\"\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "scenarios/bad.toml:3:8: invalid type: string \"one\", expected u64 in `faults.seed`"
    );
    assert_eq!(e.path(), Path::new("scenarios/bad.toml"));
    assert_eq!(e.position(), Some((3, 8)));
}

#[test]
fn toml_syntax_errors() {
    assert_error("description = \"d\"\nfoo = [1,\n", 2, 10, "unclosed array");
    assert_error("description = \"d\n", 1, 17, "invalid basic string, expected `\"`");
    assert_error("description = \"d\"\ndescription = \"e\"\n", 2, 1, "duplicate key");
}

#[test]
fn structural_errors() {
    assert_error("", 1, 1, "missing field `description`");
    assert_error("description = 5\n", 1, 15, "expected a string");
    assert_error(
        "description = \"d\"\ndescripton = \"x\"\n",
        2,
        1,
        "unknown field `descripton`, expected one of `description`, `connection`, `platform`, \
         `buckets`, `identities`, `faults`",
    );
    assert_error(
        "description = \"d\"\n[connection]\nname = \"a\"\n",
        2,
        1,
        "missing field `region` in `connection`",
    );
    let conn = "description = \"d\"\n[connection]\nname = \"a\"\nregion = \"eu-west-1\"\n\
                bucket = \"s3://x\"\nschema_prefix = \"/p\"\n";
    assert_error(
        &format!("{conn}format = \"json\"\npartitioning = \"all\"\n"),
        7,
        10,
        "unknown variant `json`, expected `parquet` or `csv`",
    );
    assert_error(
        &format!("{conn}format = \"csv\"\npartitioning = \"some\"\n"),
        8,
        16,
        "unknown variant `some`, expected `all` or `none`",
    );
    // The connection is kept as typed: the connector, not the loader, judges it.
    let s = parse(&format!("{conn}format = \"csv\"\npartitioning = \"none\"\n"));
    assert_eq!(s.connection.unwrap().bucket, "s3://x");

    assert_error(
        &format!("{BUCKET}colour = \"red\"\n"),
        6,
        1,
        "unknown field `colour`, expected one of `name`, `region`, `owner`, `policy`, `objects`",
    );
    assert_error(
        "description = \"d\"\n[[buckets]]\nname = \"acme\"\n",
        2,
        1,
        "missing field `region` in `buckets`",
    );
    assert_error(
        &format!("{BUCKET}[[buckets.objects]]\nkey = \"a\"\nsize = 1\ngz = true\n"),
        9,
        1,
        "unknown field `gz`, expected one of `key`, `fixture`, `body`, `size`, `gzip`, \
         `content_type`",
    );
    assert_error(
        &format!("{BUCKET}[[buckets.objects]]\nkey = \"a\"\nsize = -1\n"),
        8,
        8,
        "expected u64",
    );
    assert_error(
        "description = \"d\"\n[faults]\nlatency = 3\n",
        3,
        1,
        "expected one of `latency_ms`, `latency_p99_ms`, `error_rate`, `seed`, `inject`",
    );
    assert_error(
        "description = \"d\"\n[platform]\nrole_name = \"r\"\n",
        3,
        1,
        "expected one of `account`, `role`, `policy`, `access_key`, `secret_key`",
    );
    assert_error(
        "description = \"d\"\n[[identities]]\nname = \"a\"\n",
        2,
        1,
        "missing field `arn` in `identities`",
    );
}

#[test]
fn bucket_errors() {
    let bucket = |name: &str, region: &str, owner: &str| {
        format!(
            "description = \"d\"\n[[buckets]]\nname = \"{name}\"\nregion = \"{region}\"\n\
             owner = \"{owner}\"\n"
        )
    };
    assert_error(&bucket("Acme", "eu-west-1", "111122223333"), 3, 8, "contains `A`");
    assert_error(
        &bucket("acme--x-s3", "eu-west-1", "111122223333"),
        3,
        8,
        "suffix `--x-s3`",
    );
    assert_error(
        &bucket("acme", "Ireland", "111122223333"),
        4,
        10,
        "`Ireland` is not an AWS region code",
    );
    assert_error(
        &bucket("acme", "eu-west-1", "1111-2222-3333"),
        5,
        9,
        "expected exactly 12 digits",
    );
    assert_error(
        &format!(
            "{BUCKET}[[buckets]]\nname = \"acme-data\"\nregion = \"eu-west-1\"\n\
             owner = \"111122223333\"\n"
        ),
        7,
        8,
        "bucket `acme-data` is defined twice",
    );
    assert_error(
        &format!("{BUCKET}policy = \"generate\"\n"),
        6,
        10,
        "unknown bucket policy `generate`; expected \"generated\", \"none\", an inline JSON \
         policy string (starting with `{`) or { file = \"policy.json\" }",
    );
    assert_error(
        &format!("{BUCKET}policy = true\n"),
        6,
        10,
        "found boolean; expected \"generated\"",
    );
    assert_error(
        &format!("{BUCKET}policy = {{ path = \"p.json\" }}\n"),
        6,
        10,
        "a policy table takes exactly one key, `file`, found [path]",
    );
    assert_error(
        &format!("{BUCKET}policy = {{ file = 3 }}\n"),
        6,
        10,
        "policy `file` must be a string path, found integer",
    );
}

#[test]
fn object_errors() {
    let obj = |fields: &str| format!("{BUCKET}[[buckets.objects]]\n{fields}");
    assert_error(
        &obj("key = \"a\"\n"),
        7,
        7,
        "object needs exactly one of `fixture`, `body` or `size`",
    );
    assert_error(
        &obj("key = \"a\"\nbody = \"x\"\nfixture = \"f\"\n"),
        9,
        11,
        "`fixture` cannot be combined with `body`",
    );
    assert_error(
        &obj("size = 3\nkey = \"a\"\nbody = \"x\"\n"),
        9,
        8,
        "`body` cannot be combined with `size`",
    );
    assert_error(
        &obj("key = \"a\"\nsize = 3\ngzip = false\n"),
        9,
        8,
        "`gzip` cannot be used with `size`",
    );
    assert_error(&obj("key = \"\"\nsize = 3\n"), 7, 7, "object key must not be empty");
    assert_error(&obj("key = \"{,a}\"\nsize = 3\n"), 7, 7, "object key must not be empty");
    let long = "k".repeat(1025);
    assert_error(
        &obj(&format!("key = \"{long}\"\nsize = 3\n")),
        7,
        7,
        "object key is 1025 bytes long; S3 allows at most 1024 bytes",
    );
    // 1024 bytes of UTF-8 is fine, whatever the character count.
    let s = parse(&obj(&format!("key = \"{}\"\nsize = 3\n", "é".repeat(512))));
    assert_eq!(s.buckets[0].objects[0].key.len(), 1024);
    assert_error(
        &obj(&format!("key = \"{}{{a,b}}\"\nsize = 3\n", "é".repeat(512))),
        7,
        7,
        "1025 bytes",
    );
    assert_error(
        &obj("key = \"a\"\nfixture = \"\"\n"),
        8,
        11,
        "fixture path must not be empty",
    );
}

#[test]
fn large_patterns_of_one_source_are_key_spaces_not_expansions() {
    let s = parse(&format!(
        "{BUCKET}[[buckets.objects]]\nkey = 'data/t{{000..999}}/day={{1..100000}}/part-{{0..9}}.csv'\nsize = 10\n\
         [[buckets.objects]]\nkey = 'data/small{{1..9}}.csv'\nsize = 1\n"
    ));
    let b = &s.buckets[0];
    assert_eq!(b.objects.len(), 9, "a small pattern is expanded");
    assert_eq!(b.key_spaces.len(), 1);
    assert_eq!(b.key_spaces[0].keys.count(), 1_000_000_000);
    assert_eq!(b.key_spaces[0].source, ObjectSource::Sized(10));
    assert_eq!(b.key_spaces[0].after, 0);
    // A list of sizes needs one object per key: expanded (and limited).
    assert_error(
        &format!("{BUCKET}[[buckets.objects]]\nkey = 'k{{0..9999999}}'\nsize = [1]\n"),
        7,
        8,
        "the limit is 5000000 per pattern",
    );
    // Limits S3 puts on keys hold for every key of a space.
    let long = "x".repeat(1020);
    assert_error(
        &format!("{BUCKET}[[buckets.objects]]\nkey = '{long}{{0..99999}}'\nsize = 1\n"),
        7,
        7,
        "S3 allows at most 1024 bytes",
    );
}

#[test]
fn brace_errors_point_into_the_key() {
    let obj = |key: &str| format!("{BUCKET}[[buckets.objects]]\nkey = {key}\nsize = 1\n");
    // Literal and escape-free basic strings: the column of the offending brace.
    assert_error(
        &obj("'data/{abc}/x'"),
        7,
        13,
        "invalid object key: `{abc}` is neither a list",
    );
    assert_error(&obj("\"data/{abc}/x\""), 7, 13, "write `\\{` for a literal brace");
    assert_error(&obj("'ab}'"), 7, 10, "unmatched `}`; write `\\}`");
    assert_error(&obj("'é{a,b'"), 7, 9, "unclosed `{`");
    assert_error(&obj("'{}'"), 7, 8, "`{}` is neither");
    assert_error(&obj("'{1..9..0}'"), 7, 8, "has a step of 0");
    assert_error(&obj("'{a..Z}'"), 7, 8, "mixes lowercase and uppercase");
    // Only a pattern that must be expanded has a limit: a range of negative numbers.
    assert_error(
        &obj("'{-9999999..0}'"),
        7,
        8,
        "pattern expands to 10000000 keys; the limit is 5000000 per pattern",
    );
    // With escapes in the source, the key's start.
    assert_error(&obj("\"\\u0041{x}\""), 7, 7, "`{x}` is neither");
    assert_error(&obj("'''{x}'''"), 7, 7, "`{x}` is neither");
}

#[test]
fn platform_identity_and_fault_errors() {
    assert_error(
        "description = \"d\"\n[platform]\naccount = \"9999\"\n",
        3,
        11,
        "`9999` is not an AWS account id; expected exactly 12 digits",
    );
    assert_error(
        "description = \"d\"\n[platform]\nrole = \"\"\n",
        3,
        8,
        "is not an IAM role name",
    );
    assert_error(
        "description = \"d\"\n[platform]\nrole = \"arn:aws:iam::1:role/x\"\n",
        3,
        8,
        "(the name only, not the ARN)",
    );
    assert_error(
        "description = \"d\"\n[platform]\naccess_key = \"\"\n",
        3,
        14,
        "`access_key` must not be empty",
    );
    assert_error(
        "description = \"d\"\n[platform]\npolicy = \"none\"\n",
        3,
        10,
        "policy `none` is not JSON",
    );
    let id = |name: &str, arn: &str, key: &str| {
        format!(
            "[[identities]]\nname = \"{name}\"\narn = \"{arn}\"\naccess_key = \"{key}\"\n\
             secret_key = \"s\"\n"
        )
    };
    let good = id("a", "arn:aws:iam::111122223333:user/a", "AK1");
    assert_error(
        &format!(
            "description = \"d\"\n{good}{}",
            id("b", "arn:aws:iam::111122223333:user/b", "AK1")
        ),
        10,
        14,
        "access key `AK1` is already used",
    );
    assert_error(
        &format!(
            "description = \"d\"\n{}",
            id("b", "a", PlatformSpec::DEFAULT_ACCESS_KEY)
        ),
        4,
        7,
        "`a` is not an ARN",
    );
    assert_error(
        &format!(
            "description = \"d\"\n{}",
            id(
                "b",
                "arn:aws:iam::111122223333:user/b",
                PlatformSpec::DEFAULT_ACCESS_KEY
            )
        ),
        5,
        14,
        "already used by another identity or the platform reader",
    );
    assert_error(
        &format!(
            "description = \"d\"\n{good}{}",
            id("a", "arn:aws:iam::111122223333:user/c", "AK2")
        ),
        8,
        8,
        "identity `a` is defined twice",
    );
    assert_error(
        "description = \"d\"\n[faults]\nerror_rate = 1.5\n",
        3,
        14,
        "`error_rate` must be between 0.0 and 1.0, found 1.5",
    );
    assert_error("description = \"d\"\n[faults]\nerror_rate = nan\n", 3, 14, "found NaN");
    let s = parse("description = \"d\"\n[faults]\nerror_rate = 1\n");
    assert_eq!(s.faults.unwrap().error_rate, 1.0);
}

/// Every `[[faults.inject]]` value is bounded, with the error at the value.
#[test]
fn fault_rule_errors() {
    let rule = |body: &str| format!("description = \"d\"\n[faults]\n[[faults.inject]]\n{body}");
    assert_error(
        &rule("kind = \"gremlins\"\nrate = 0.1\n"),
        4,
        8,
        "unknown fault kind `gremlins`; expected one of: slow_down, internal_error, request_timeout, reset, truncated_body, stalled_body, no_answer, error_in_200",
    );
    assert_error(
        &rule("kind = \"reset\"\nrate = 2.0\n"),
        5,
        8,
        "`rate` must be between 0.0 and 1.0, found 2",
    );
    assert_error(
        &rule("kind = \"reset\"\nrate = 0.1\noperations = [\"GetObjekt\"]\n"),
        6,
        15,
        "unknown operation `GetObjekt`",
    );
    assert_error(
        &rule("kind = \"stalled_body\"\nrate = 0.1\nstall_ms = 60001\n"),
        6,
        12,
        "`stall_ms` 60001 is more than 60000 ms",
    );
    assert_error(
        &rule("kind = \"reset\"\nrate = 0.1\nstall_ms = 10\n"),
        6,
        12,
        "`stall_ms` applies to kind `stalled_body` only",
    );
    assert_error(
        &rule("kind = \"error_in_200\"\nrate = 0.1\noperations = [\"GetObject\"]\n"),
        6,
        15,
        "`error_in_200` applies to CompleteMultipartUpload and CopyObject only",
    );
    assert_error(
        &rule("kind = \"reset\"\nrate = 0.6\n[[faults.inject]]\nkind = \"slow_down\"\nrate = 0.6\n"),
        8,
        8,
        "add up to 1.2, more than 1.0",
    );
    assert_error(
        &rule("kind = \"reset\"\nrate = 0.1\nwhen = 3\n"),
        6,
        1,
        "unknown field `when`",
    );
    assert_error(
        "description = \"d\"\n[faults]\nlatency_ms = 10\nlatency_p99_ms = 5\n",
        4,
        18,
        "needs a `latency_ms` (the median) of at least 1 and at most 5, found 10",
    );
    assert_error(
        "description = \"d\"\n[faults]\nlatency_ms = 10\nlatency_p99_ms = 60001\n",
        4,
        18,
        "`latency_p99_ms` 60001 is more than 60000 ms",
    );
    let s = parse(&rule(
        "kind = \"stalled_body\"\nrate = 0.25\noperations = [\"GetObject\"]\nprefix = \"data/\"\n",
    ));
    let f = s.faults.unwrap();
    assert_eq!(f.rules.len(), 1);
    let r = &f.rules[0];
    assert_eq!(
        (r.kind.name(), r.rate, r.prefix.as_deref()),
        ("stalled_body", 0.25, Some("data/"))
    );
    assert_eq!(
        (r.operations.as_slice(), r.stall.as_millis()),
        (["GetObject".to_owned()].as_slice(), 2000)
    );
}

/// `[[faults.burst]]` and `[faults.request_rate]` are bounded, with the error at the
/// value; the request rate defaults to S3's documented 5,500 reads and 3,500 writes a
/// second per prefix (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html).
#[test]
fn timed_fault_errors() {
    let burst = |body: &str| format!("description = \"d\"\n[faults]\n[[faults.burst]]\n{body}");
    assert_error(
        &burst("every_ms = 1000\nlength_ms = 0\n"),
        5,
        13,
        "`length_ms` must be from 1 to 10000 ms, found 0",
    );
    assert_error(
        &burst("every_ms = 100000\nlength_ms = 10001\n"),
        5,
        13,
        "`length_ms` must be from 1 to 10000 ms, found 10001",
    );
    assert_error(
        &burst("every_ms = 150\nlength_ms = 100\n"),
        4,
        12,
        "`every_ms` must be at least twice `length_ms` (200), found 150",
    );
    assert_error(
        &burst("every_ms = 3600001\nlength_ms = 100\n"),
        4,
        12,
        "`every_ms` must be at most 3600000 ms (an hour), found 3600001",
    );
    assert_error(
        &burst("every_ms = 1000\nlength_ms = 100\noperations = [\"GetObjekt\"]\n"),
        6,
        15,
        "unknown operation `GetObjekt`",
    );
    assert_error(&burst("every_ms = 1000\n"), 3, 1, "missing field `length_ms`");
    let rate = |body: &str| format!("description = \"d\"\n[faults]\n[faults.request_rate]\n{body}");
    assert_error(
        &rate("reads_per_second = 0\n"),
        4,
        20,
        "`reads_per_second` must be from 1 to 1000000 requests per second, found 0",
    );
    assert_error(
        &rate("writes_per_second = 1000001\n"),
        4,
        21,
        "`writes_per_second` must be from 1 to 1000000 requests per second, found 1000001",
    );
    assert_error(&rate("gets_per_second = 5\n"), 4, 1, "unknown field `gets_per_second`");

    let f = parse(&rate("reads_per_second = 2\n")).faults.unwrap();
    let r = f.request_rate.unwrap();
    assert_eq!((r.reads_per_second, r.writes_per_second), (2, 3500));
    assert!(f.has_timed());
    let f = parse(&rate("")).faults.unwrap();
    assert_eq!(f.request_rate, Some(s3_harness::sim::faults::RequestRate::S3));
    let f = parse(&burst("every_ms = 200\nlength_ms = 100\nprefix = \"data/\"\n"))
        .faults
        .unwrap();
    assert_eq!(
        (
            f.bursts[0].every.as_millis(),
            f.bursts[0].length.as_millis(),
            f.bursts[0].prefix.as_deref()
        ),
        (200, 100, Some("data/"))
    );
    assert!(
        !parse("description = \"d\"\n[faults]\nerror_rate = 0.1\n")
            .faults
            .unwrap()
            .has_timed()
    );
}

#[test]
fn file_errors() {
    let root = repo("files");
    let missing = root.join("scenarios/nope.toml");
    match load_scenario(&missing) {
        Err(e @ ScenarioError::Io { .. }) => {
            assert_eq!(e.path(), missing);
            assert!(
                e.to_string()
                    .starts_with(&format!("{}: cannot read scenario file: ", missing.display())),
                "{e}"
            );
            assert_eq!(e.position(), None);
        }
        other => panic!("{other:?}"),
    }
    let bad = root.join("scenarios/latin1.toml");
    write(&bad, b"description = \"caf\xe9\"\n");
    let e = load_scenario(&bad).unwrap_err();
    assert_eq!(e.position(), Some((1, 19)));
    assert!(e.message().contains("invalid UTF-8"), "{e}");
}

const VALID: &str = r#"description = "fuzz base"
[connection]
name = "n"
region = "eu-west-1"
bucket = "acme-data"
schema_prefix = "data/"
format = "csv"
partitioning = "all"
[platform]
account = "999988887777"
role = "r"
[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
policy = '{"Version":"2012-10-17","Statement":[]}'
[[buckets.objects]]
key = 'data/t/date=2025-01-{01..03}/p-{0..1}.csv'
body = "a,b\n1,2\n"
gzip = true
[[buckets.objects]]
key = "data/t/{a,b{1,2}}"
size = 10
[[identities]]
name = "i"
arn = "arn:aws:iam::111122223333:user/i"
access_key = "AK"
secret_key = "SK"
[faults]
latency_ms = 1
error_rate = 0.5
seed = 3
"#;

#[test]
fn fuzz_base_is_valid() {
    let s = parse(VALID);
    assert_eq!(s.buckets[0].objects.len(), 6 + 3);
}

/// Applies edits at char boundaries: 0 deletes up to 4 chars, 1 inserts, 2 replaces one.
fn mutate(base: &str, edits: &[(prop::sample::Index, u8, String)]) -> String {
    let mut s: Vec<char> = base.chars().collect();
    for (at, op, text) in edits {
        let i = at.index(s.len() + 1);
        match op {
            0 => {
                let end = (i + 4).min(s.len());
                s.drain(i..end);
            }
            1 => {
                s.splice(i..i, text.chars());
            }
            _ => {
                if i < s.len() {
                    s.splice(i..=i, text.chars().take(1));
                }
            }
        }
    }
    s.into_iter().collect()
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = parse_scenario(Path::new("fuzz.toml"), &text);
    }

    #[test]
    fn never_panics_on_toml_like_text(
        text in "(description = \"d\"\n)?(\\[\\[?(buckets|buckets\\.objects|faults|platform|identities)\\]\\]?\n|[a-z_]{1,10} = (\"[^\"\\\\]{0,12}\"|'[{},.a0-9]{0,12}'|-?[0-9]{1,12}|true|\\{ file = \"x\" \\})\n){0,12}"
    ) {
        let _ = parse_scenario(Path::new("fuzz.toml"), &text);
    }

    #[test]
    fn never_panics_on_mutations_of_a_valid_scenario(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, "[\\PC\n'\"{}\\[\\]=.,\\\\0-9]{0,6}"),
            1..5,
        )
    ) {
        let text = mutate(VALID, &edits);
        if let Err(e) = parse_scenario(Path::new("fuzz.toml"), &text) {
            // Every positioned error must point inside the text (or just past its end).
            if let Some((line, column)) = e.position() {
                let lines: Vec<&str> = text.split('\n').collect();
                prop_assert!(line >= 1 && line <= lines.len(), "{e}");
                prop_assert!(column >= 1 && column <= lines[line - 1].chars().count() + 1, "{e}");
            }
        }
    }
}

/// S3's limits on scenario values, as positioned errors, never an abort or a hang:
/// objects are at most 5 TiB (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
#[test]
fn values_past_s3s_limits_are_positioned_errors() {
    let object = |size: &str| {
        format!(
            "description = \"d\"\n[[buckets]]\nname = \"abc-d\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n[[buckets.objects]]\nkey = \"k\"\nsize = {size}\n"
        )
    };
    assert_error(
        &object("18446744073709551615"),
        8,
        8,
        "larger than S3's largest object, 5 TiB",
    );
    assert_error(&object("5497558138881"), 8, 8, "larger than S3's largest object, 5 TiB");
    assert_eq!(
        parse(&object("5497558138880")).buckets[0].objects[0].source,
        ObjectSource::Sized(5_497_558_138_880)
    );
    assert_error(
        "description = \"d\"\n[faults]\nlatency_ms = 18446744073709551615\n",
        3,
        14,
        "`latency_ms` 18446744073709551615 is more than 60000 ms",
    );
}

/// A fixture or policy path may not leave the scenario's folder and the fixture folders
/// (an absolute path, `../..`, a link out) unless the caller allows it: `serve` hands
/// every fixture to any client that may read the bucket.
#[test]
fn fixtures_stay_inside_the_scenario_and_fixture_folders() {
    let root = repo("confined");
    write(&root.join("secret.txt"), "secret");
    write(&root.join("fixtures/ok.csv"), "a\n1\n");
    let path = root.join("scenarios/sub/f.toml");
    let object = |fixture: &str| format!("{BUCKET}[[buckets.objects]]\nkey = \"k\"\nfixture = \"{fixture}\"\n");
    let outside = |fixture: &str| {
        let e = parse_scenario(&path, &object(fixture)).unwrap_err().to_string();
        assert!(
            e.contains("outside the scenario's folder and the fixture folders"),
            "{fixture}: {e}"
        );
        e
    };
    let e = outside("../../secret.txt");
    assert!(e.contains(":8:11:"), "{e}");
    let absolute = std::fs::canonicalize(root.join("secret.txt")).unwrap();
    outside(absolute.to_str().unwrap());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("secret.txt"), root.join("scenarios/sub/link.txt")).unwrap();
        outside("link.txt");
    }
    // Inside: next to the scenario, or in the nearest fixtures/.
    parse_scenario(&path, &object("../../fixtures/ok.csv")).unwrap();
    parse_scenario(&path, &object("ok.csv")).unwrap();
    // Allowed explicitly.
    let anywhere = LoadOptions {
        allow_paths_anywhere: true,
        ..LoadOptions::default()
    };
    let s = parse_scenario_with(&path, &object("../../secret.txt"), &anywhere).unwrap();
    assert_eq!(s.buckets[0].objects[0].source, ObjectSource::File(absolute));
    // A policy file follows the same rule.
    let policy = BUCKET.replace(
        "owner = \"111122223333\"",
        "owner = \"111122223333\"\npolicy = { file = \"../../secret.txt\" }",
    );
    let e = parse_scenario(&path, &policy).unwrap_err().to_string();
    assert!(e.contains("policy file `../../secret.txt`"), "{e}");
}

#[test]
fn simulator_transport_defaults_to_https_and_reads_http() {
    use s3_harness::scenario::Transport;
    assert_eq!(parse("description = \"d\"\n").simulator.transport, Transport::Https);
    assert_eq!(
        parse("description = \"d\"\n[simulator]\n").simulator.transport,
        Transport::Https
    );
    assert_eq!(
        parse("description = \"d\"\n[simulator]\ntransport = \"https\"\n")
            .simulator
            .transport,
        Transport::Https
    );
    assert_eq!(
        parse("description = \"d\"\n[simulator]\ntransport = \"http\"\n")
            .simulator
            .transport,
        Transport::Http
    );
}

#[test]
fn simulator_transport_errors_are_positioned() {
    assert_error(
        "description = \"d\"\n[simulator]\ntransport = \"ftp\"\n",
        3,
        13,
        "`transport` must be \"https\" or \"http\", found \"ftp\"",
    );
    assert_error(
        "description = \"d\"\n[simulator]\ntransport = \"HTTPS\"\n",
        3,
        13,
        "found \"HTTPS\"",
    );
    assert_error(
        "description = \"d\"\n[simulator]\ntransport = true\n",
        3,
        13,
        "expected a string",
    );
    assert_error(
        "description = \"d\"\n[simulator]\ntls = true\n",
        3,
        1,
        "unknown field `tls`, expected `transport`",
    );
}

#[test]
fn captured_object_fields() {
    let obj = |fields: &str| format!("{BUCKET}[[buckets.objects]]\n{fields}");
    // One size per key, in expansion order; `unknown_bytes` keeps no bytes at all.
    let s = parse(&obj("key = \"p-{1..3}\"\nsize = [10, 20, 30]\nunknown_bytes = true\n"));
    let got: Vec<(String, ObjectSource)> = s.buckets[0]
        .objects
        .iter()
        .map(|o| (o.key.clone(), o.source.clone()))
        .collect();
    let partial = |size| ObjectSource::Partial {
        size,
        head: bytes::Bytes::new(),
        tail: bytes::Bytes::new(),
    };
    assert_eq!(
        got,
        [
            ("p-1".to_owned(), partial(10)),
            ("p-2".to_owned(), partial(20)),
            ("p-3".to_owned(), partial(30)),
        ]
    );
    // A size list without unknown_bytes: sized objects, each its own size.
    let s = parse(&obj("key = \"p-{1..2}\"\nsize = [5, 6]\n"));
    assert_eq!(s.buckets[0].objects[1].source, ObjectSource::Sized(6));
    // A head: the fixture's bytes first, the rest unknown.
    let s = parse(&obj("key = \"a.csv\"\nsize = 100000\nhead = \"users.csv\"\n"));
    let ObjectSource::Partial { size, head, tail } = &s.buckets[0].objects[0].source else {
        panic!("a partial object");
    };
    assert_eq!((*size, head.starts_with(b"user_id,"), tail.len()), (100_000, true, 0));

    assert_error(
        &obj("key = \"p-{1..3}\"\nsize = [1, 2]\n"),
        8,
        8,
        "`size` lists 2 sizes but the key expands to 3 keys",
    );
    assert_error(
        &obj("key = \"p-{1..2}\"\nsize = [1, 5497558138881]\n"),
        8,
        8,
        "larger than S3's largest object",
    );
    assert_error(&obj("key = \"a\"\nhead = \"users.csv\"\n"), 8, 8, "they need `size`");
    assert_error(&obj("key = \"a\"\nunknown_bytes = true\n"), 8, 17, "they need `size`");
    assert_error(
        &obj("key = \"a\"\nsize = 3\ntail = \"users.csv\"\n"),
        9,
        8,
        "more than the object's size 3",
    );
    assert_error(
        &obj("key = \"a-{1..2}\"\nsize = [100, 200]\nhead = \"users.csv\"\n"),
        8,
        8,
        "`head` and `tail` belong to one object",
    );
    assert_error(
        &obj("key = \"a\"\nsize = 300\nhead = \"nope.csv\"\n"),
        9,
        8,
        "head `nope.csv` not found",
    );
}
