//! Property tests of Hive partition parsing (`layout::partition`): the escape/parse round trip,
//! no panics on arbitrary input, and independence from listing order and value order.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use s3_connector::layout::partition::{
    HIVE_DEFAULT_PARTITION, PartitionValue, SegmentParse, TablePartitioning, escape, format_segment,
    infer_partition_type, parse_segment, partition_path, table_partitions, unescape,
};

/// Text biased toward what breaks partition parsing: separators, escapes (valid, malformed and
/// not UTF-8), the null sentinel, control characters and non-ASCII, mixed with any character.
fn tricky_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        any::<char>().prop_map(String::from),
        prop::sample::select(vec![
            "/",
            "=",
            "%",
            "+",
            "_",
            ".",
            " ",
            "%2F",
            "%3D",
            "%25",
            "%FF",
            "%C3",
            "%C3%A9",
            "%zz",
            "%4",
            "%%",
            "é",
            "😀",
            "\u{0}",
            "\u{1}",
            "\n",
            "\u{7f}",
            "\\",
            "#",
            "NULL",
            "007",
            "-5",
            "2024-02-29",
            HIVE_DEFAULT_PARTITION,
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9]{1,3}",
    ];
    prop::collection::vec(fragment, 0..6).prop_map(|parts| parts.concat())
}

/// Segments from a small alphabet, so generated tables often agree and sometimes clash in
/// every way `table_partitions` distinguishes.
fn table_segment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a=1",
        "a=2",
        "a=%FF",
        "A=1",
        "b=x",
        "b=",
        "%61=3",
        "b=__HIVE_DEFAULT_PARTITION__",
        "x",
        "=1",
        "c=1",
    ])
    .prop_map(str::to_owned)
}

fn table_files() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    // Mostly `a=?/b=?` paths so that consistent tables are common, plus arbitrary ones.
    let path = prop_oneof![
        3 => (prop::sample::select(vec!["a=1", "a=2", "a=%FF"]), prop::sample::select(vec!["b=x", "b="]))
            .prop_map(|(a, b)| vec![a.to_owned(), b.to_owned()]),
        1 => prop::collection::vec(table_segment(), 0..4),
    ];
    // Tables without partition directories: files in the root and in plain directories.
    let plain = prop::collection::vec(prop::sample::select(vec!["x", "y"]).prop_map(str::to_owned), 0..3);
    let files = prop_oneof![
        4 => prop::collection::vec((0u8..4, path), 1..8),
        1 => prop::collection::vec((0u8..4, plain), 1..4),
    ];
    files.prop_map(|files| {
        files
            .into_iter()
            .map(|(n, segs)| {
                let mut name = segs.join("/");
                name.push_str(&format!("/f{n}.csv"));
                (name, segs)
            })
            .collect()
    })
}

fn partition_value(family: &'static [&'static str]) -> impl Strategy<Value = PartitionValue> {
    prop_oneof![
        1 => Just(PartitionValue::Null),
        4 => prop::sample::select(family).prop_map(|s| PartitionValue::Value(s.to_owned())),
    ]
}

/// Value lists of one column: mostly from one type's family (with the odd value that breaks
/// it), sometimes anything, raw text included.
fn partition_values() -> impl Strategy<Value = Vec<PartitionValue>> {
    const INTS: &[&str] = &["", "0", "7", "-5", "12", "007", "+5"];
    const DATES: &[&str] = &["", "2024-01-31", "2024-02-29", "1999-12-01", "2023-02-29"];
    const ANY: &[&str] = &["", "0", "7", "-5", "007", "+5", "2024-01-31", "2023-02-29", "x", "NULL"];
    prop_oneof![
        prop::collection::vec(partition_value(INTS), 0..10),
        prop::collection::vec(partition_value(DATES), 0..10),
        prop::collection::vec(
            prop_oneof![4 => partition_value(ANY), 1 => Just(PartitionValue::Raw("%FF".to_owned()))],
            0..10
        ),
    ]
}

fn kind_name(t: &TablePartitioning) -> String {
    match t {
        TablePartitioning::Unpartitioned => "unpartitioned".to_owned(),
        TablePartitioning::Partitioned { .. } => "partitioned".to_owned(),
        TablePartitioning::Mismatch { kind, .. } => format!("{kind:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Escape then parse is the identity for any non-empty key and any value (but the null
    /// sentinel itself), and `None` reads back as null.
    #[test]
    fn format_then_parse_round_trips(key in tricky_text(), value in tricky_text()) {
        prop_assume!(!key.is_empty());
        let SegmentParse::Partition(p) = parse_segment(&format_segment(&key, Some(&value))) else {
            panic!("not a partition");
        };
        prop_assert_eq!(&p.key, &key);
        prop_assert!(!p.key_is_raw);
        if value == HIVE_DEFAULT_PARTITION {
            prop_assert_eq!(p.value, PartitionValue::Null);
        } else {
            prop_assert_eq!(p.value, PartitionValue::Value(value));
        }
        let SegmentParse::Partition(p) = parse_segment(&format_segment(&key, None)) else {
            panic!("not a partition");
        };
        prop_assert_eq!(&p.key, &key);
        prop_assert_eq!(p.value, PartitionValue::Null);
    }

    /// Escaped text holds no separator, and unescaping gives the original back.
    #[test]
    fn escape_then_unescape_is_identity(s in tricky_text()) {
        let e = escape(&s);
        prop_assert!(!e.contains('/') && !e.contains('='));
        prop_assert_eq!(unescape(&e), Ok(s));
    }

    /// No input makes the parsers panic.
    #[test]
    fn parsers_never_panic(s in tricky_text(), any_s in any::<String>(), segs in prop::collection::vec(tricky_text(), 0..5)) {
        let _ = parse_segment(&s);
        let _ = parse_segment(&any_s);
        let _ = unescape(&s);
        let _ = unescape(&any_s);
        let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let _ = partition_path(&refs);
        let files = vec![(s.clone(), segs.clone()), (any_s.clone(), Vec::new()), (String::new(), segs)];
        let _ = table_partitions(&files);
    }

    /// A table's partitioning does not depend on the listing order.
    #[test]
    fn table_partitions_ignores_order((files, shuffled) in table_files().prop_flat_map(|f| (Just(f.clone()), Just(f).prop_shuffle()))) {
        prop_assert_eq!(table_partitions(&files), table_partitions(&shuffled));
    }

    /// Nor on arbitrary segments.
    #[test]
    fn table_partitions_ignores_order_arbitrary((files, shuffled) in prop::collection::vec((tricky_text(), prop::collection::vec(tricky_text(), 0..3)), 0..6).prop_flat_map(|f| (Just(f.clone()), Just(f).prop_shuffle()))) {
        prop_assert_eq!(table_partitions(&files), table_partitions(&shuffled));
    }

    /// A column's type does not depend on the order of its values.
    #[test]
    fn infer_partition_type_ignores_order((values, shuffled) in partition_values().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))) {
        prop_assert_eq!(infer_partition_type(&values), infer_partition_type(&shuffled));
    }
}

/// The order properties would be vacuous if the generator only made one kind of table; check
/// that it makes consistent tables, unpartitioned ones and every kind of mismatch.
#[test]
fn generated_tables_cover_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = table_files();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..2000 {
        let files = strategy.new_tree(&mut runner).expect("a value").current();
        *seen.entry(kind_name(&table_partitions(&files))).or_default() += 1;
    }
    eprintln!("{seen:?}");
    for kind in [
        "unpartitioned",
        "partitioned",
        "DuplicateKey",
        "CaseConflict",
        "PlainDirectory",
        "RootFiles",
        "DifferentColumns",
    ] {
        assert!(
            seen.get(kind).copied().unwrap_or(0) >= 50,
            "{kind} rarely generated: {seen:?}"
        );
    }
}

/// Likewise the typing property: each type must come out of the generated value lists.
#[test]
fn generated_values_cover_every_type() {
    let mut runner = TestRunner::deterministic();
    let strategy = partition_values();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..2000 {
        let values = strategy.new_tree(&mut runner).expect("a value").current();
        *seen.entry(infer_partition_type(&values).to_string()).or_default() += 1;
    }
    eprintln!("{seen:?}");
    for ty in ["int64", "date", "string"] {
        assert!(
            seen.get(ty).copied().unwrap_or(0) >= 50,
            "{ty} rarely inferred: {seen:?}"
        );
    }
}
