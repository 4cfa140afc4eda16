//! Property tests of table discovery over random layouts: every key ends up in exactly
//! one table or in `ignored`; the tables are exactly the directories directly under the
//! prefix that hold data; a table's partition columns are the same in all its files (plain
//! directories only below them, reported once as `nested_directories`); and the listing's
//! order changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use s3_connector::config::{ConnectionConfig, DataFormat, Partitioning};
use s3_connector::diagnostic::Code;
use s3_connector::layout::ListedObject;
use s3_connector::layout::classify::{KeyClass, classify};
use s3_connector::layout::partition::{SegmentParse, parse_segment};
use s3_connector::layout::tables::discover_tables;

const PREFIX: &str = "data/";

fn config(partitioning: Partitioning, format: DataFormat) -> ConnectionConfig {
    ConnectionConfig {
        name: "p".into(),
        region: "eu-west-1".into(),
        bucket: "b".into(),
        schema_prefix: PREFIX.into(),
        format,
        partitioning,
    }
}

fn dir() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..3).prop_map(|d| format!("date=2025-01-0{d}")),
        (0u8..2).prop_map(|r| format!("region=r{r}")),
        Just("dt=2025".to_owned()),
        Just("plain".to_owned()),
        Just("bucket_00001".to_owned()),
        Just("_temporary".to_owned()),
        Just("=bad".to_owned()),
        Just("k=%FF".to_owned()),
        Just("".to_owned()),
    ]
}

fn file() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u8..3).prop_map(|i| format!("part-{i}.csv")),
        2 => Just("part-0.snappy.parquet".to_owned()),
        1 => Just("part-0.csv.gz".to_owned()),
        1 => Just("_SUCCESS".to_owned()),
        1 => Just(".part-0.csv.crc".to_owned()),
        1 => Just("notes.txt".to_owned()),
        1 => Just("".to_owned()), // a folder marker: the key ends in `/`
    ]
}

fn key() -> impl Strategy<Value = (String, u64)> {
    (
        prop_oneof![Just(None), (0u8..4).prop_map(|t| Some(format!("t{t}")))],
        // Up to three levels, so plain directories below partition levels (nested) and
        // above or among them occur.
        prop::collection::vec(dir(), 0..4),
        file(),
        prop_oneof![Just(0u64), Just(10u64)],
    )
        .prop_map(|(table, dirs, file, size)| {
            let mut k = String::from(PREFIX);
            if let Some(t) = table {
                k.push_str(&t);
                k.push('/');
            }
            for d in dirs {
                k.push_str(&d);
                k.push('/');
            }
            k.push_str(&file);
            (k, size)
        })
}

fn listing() -> impl Strategy<Value = Vec<ListedObject>> {
    prop::collection::vec(key(), 0..40).prop_map(|keys| {
        // One size per key, as in a real listing.
        let unique: BTreeMap<String, u64> = keys.into_iter().collect();
        unique
            .into_iter()
            .map(|(key, size)| ListedObject { key, size })
            .collect()
    })
}

fn modes() -> impl Strategy<Value = (Partitioning, DataFormat)> {
    (
        prop_oneof![Just(Partitioning::All), Just(Partitioning::None)],
        prop_oneof![Just(DataFormat::Csv), Just(DataFormat::Parquet)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_key_lands_in_exactly_one_place(objects in listing(), (p, f) in modes()) {
        let layout = discover_tables(&config(p, f), &objects);
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &layout.tables {
            for file in &t.files {
                *seen.entry(file.key.as_str()).or_default() += 1;
            }
        }
        for t in &layout.skipped {
            for file in &t.files {
                *seen.entry(file.key.as_str()).or_default() += 1;
            }
        }
        for i in &layout.ignored {
            prop_assert!(!i.reason.is_empty(), "{i:?} has no reason");
            *seen.entry(i.key.as_str()).or_default() += 1;
        }
        for o in &objects {
            prop_assert_eq!(seen.get(o.key.as_str()).copied(), Some(1), "{} is in {} places", o.key, seen.get(o.key.as_str()).copied().unwrap_or(0));
        }
        prop_assert_eq!(seen.len(), objects.len());
    }

    #[test]
    fn tables_are_the_directories_under_the_prefix_that_hold_data(objects in listing(), (p, f) in modes()) {
        let layout = discover_tables(&config(p, f), &objects);
        let with_data: BTreeSet<String> = objects
            .iter()
            .filter_map(|o| match classify(PREFIX, &o.key, o.size) {
                KeyClass::DataFile { table, .. } => Some(table),
                _ => None,
            })
            .collect();
        let found: BTreeSet<String> = layout
            .tables
            .iter()
            .map(|t| t.name.clone())
            .chain(layout.skipped.iter().filter(|t| !t.files.is_empty()).map(|t| t.name.clone()))
            .collect();
        prop_assert_eq!(found, with_data);
        for t in &layout.tables {
            prop_assert_eq!(&t.prefix, &format!("{PREFIX}{}/", t.name));
            prop_assert!(!t.files.is_empty());
        }
    }

    #[test]
    fn a_tables_partition_columns_are_those_of_every_file(objects in listing(), f in prop_oneof![Just(DataFormat::Csv), Just(DataFormat::Parquet)]) {
        let layout = discover_tables(&config(Partitioning::All, f), &objects);
        for t in &layout.tables {
            let expected: Vec<&str> = t.partition_columns.iter().map(|c| c.name.as_str()).collect();
            prop_assert!(!expected.is_empty(), "partitioning = all imports only partitioned tables");
            let mut nested = false;
            for file in &t.files {
                let parsed: Vec<SegmentParse> = file.dirs.iter().map(|d| parse_segment(d)).collect();
                let (levels, below) = parsed.split_at(expected.len().min(parsed.len()));
                let keys: Vec<String> = levels
                    .iter()
                    .map(|p| match p {
                        SegmentParse::Partition(p) => p.key.clone(),
                        other => format!("<not a partition: {other:?}>"),
                    })
                    .collect();
                prop_assert_eq!(keys.iter().map(String::as_str).collect::<Vec<_>>(), expected.clone(), "{}", file.key);
                // Below the partition levels: plain directories only.
                prop_assert!(below.iter().all(|p| *p == SegmentParse::NotPartition), "{}", file.key);
                nested |= !below.is_empty();
            }
            let reported = layout
                .diagnostics
                .iter()
                .filter(|d| d.code == Code::NestedDirectories && d.subject == t.prefix)
                .count();
            prop_assert_eq!(reported, usize::from(nested), "{}", t.name);
        }
    }

    #[test]
    fn listing_order_changes_nothing(objects in listing(), (p, f) in modes(), seed in any::<u64>()) {
        let c = config(p, f);
        let mut shuffled = objects.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(discover_tables(&c, &objects), discover_tables(&c, &shuffled));
    }
}

/// The nested-directory part of the partition property would be vacuous if generated
/// listings never held a partitioned table with plain directories below its partitions.
#[test]
fn generated_listings_include_nested_directories() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = listing();
    let mut nested = 0;
    for _ in 0..500 {
        let objects = strategy.new_tree(&mut runner).expect("a value").current();
        let layout = discover_tables(&config(Partitioning::All, DataFormat::Csv), &objects);
        nested += layout
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::NestedDirectories)
            .count();
    }
    eprintln!("{nested} nested_directories in 500 listings");
    assert!(nested >= 25, "only {nested} nested_directories in 500 listings");
}
