//! One table's partition directories: each path's levels, and whether all paths agree.
//!
//! A table is partitioned when every data file sits under the same partition columns in
//! the same order; anything else is a mismatch, named with example files.

use std::collections::{BTreeMap, BTreeSet};

use super::segment::{InvalidSegment, PartitionSegment, SegmentParse, parse_segment};

/// The partition structure of one data file's directory path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathPartitions {
    /// The partition segments, in path order (including those with a warning).
    pub columns: Vec<PartitionSegment>,
    /// Plain directories (no `=`), with their position among the segments.
    pub plain: Vec<(usize, String)>,
    /// Every segment that deserves an `invalid_partition` diagnostic, with its position:
    /// errors (not partitions, so absent from `columns`) and warnings (also in `columns`);
    /// the reason tells them apart ([`InvalidUtf8`](super::InvalidReason::InvalidUtf8) is the warning).
    pub invalid: Vec<(usize, InvalidSegment)>,
}

impl PathPartitions {
    /// The column names, in path order.
    pub(crate) fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.key.as_str())
    }

    /// The outermost level that is not a partition: a plain directory or an invalid segment.
    fn first_non_partition_level(&self) -> Option<&str> {
        self.levels()
            .into_iter()
            .find(|l| l.kind != LevelKind::Partition)
            .map(|l| l.raw)
    }

    /// Every level of the path in order, rebuilt from the positions kept in `plain` and
    /// `invalid` (partition segments fill the remaining positions).
    fn levels(&self) -> Vec<Level<'_>> {
        let mut others: BTreeMap<usize, Level<'_>> = BTreeMap::new();
        for (pos, raw) in &self.plain {
            others.insert(
                *pos,
                Level {
                    kind: LevelKind::Plain,
                    raw,
                },
            );
        }
        for (pos, s) in self.invalid.iter().filter(|(_, s)| !s.reason.is_warning()) {
            others.insert(
                *pos,
                Level {
                    kind: LevelKind::Invalid,
                    raw: &s.raw,
                },
            );
        }
        let mut columns = self.columns.iter();
        (0..self.columns.len() + others.len())
            .filter_map(|pos| {
                others.remove(&pos).or_else(|| {
                    columns.next().map(|c| Level {
                        kind: LevelKind::Partition,
                        raw: &c.raw,
                    })
                })
            })
            .collect()
    }

    /// Whether the path has plain directories below its partition levels
    /// (`date=1/bucket_00001/`); meaningful once [`path_problem`] found nothing, which
    /// leaves no other place for them.
    fn is_nested(&self) -> bool {
        !self.columns.is_empty() && !self.plain.is_empty()
    }
}

/// What one level of a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LevelKind {
    Partition,
    Plain,
    /// Has `=` but is not a partition (`=1`).
    Invalid,
}

/// One level of a path, with the segment as listed.
#[derive(Debug, Clone, Copy)]
struct Level<'a> {
    kind: LevelKind,
    raw: &'a str,
}

/// Data files in plain directories below the last partition level of a partitioned table
/// (`date=1/bucket_00001/p.csv`): they belong to that partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedFiles {
    /// How many data files sit in such directories.
    pub count: usize,
    /// The least of their names (as the caller passed them).
    pub example: String,
    /// The outermost plain directory of the example's path (`bucket_00001`).
    pub directory: String,
}

/// Parses the directory segments between the table directory and a data file's name.
///
/// The caller passes only segments *below* the table directory, so a `k=v` in the schema
/// prefix or the table directory's own name is never a partition column (DuckDB and Polars
/// leak them).
pub fn partition_path(segments: &[&str]) -> PathPartitions {
    let mut out = PathPartitions::default();
    for (position, segment) in segments.iter().enumerate() {
        match parse_segment(segment) {
            SegmentParse::Partition(p) => {
                if let Some(w) = p.warning() {
                    out.invalid.push((position, w));
                }
                out.columns.push(p);
            }
            SegmentParse::NotPartition => out.plain.push((position, (*segment).to_owned())),
            SegmentParse::Invalid(i) => out.invalid.push((position, i)),
        }
    }
    out
}

/// What kind of disagreement made a table's partitioning a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MismatchKind {
    /// The same column at two levels of one path (`k=1/k=2`).
    DuplicateKey,
    /// Two column names that differ only by case (`Region` / `region`), in one path or across
    /// the table.
    CaseConflict,
    /// A plain (or invalid) directory among or above partition levels (`a=1/x/b=2`,
    /// `x/a=1`), an invalid one below them (`a=1/=1`), or a plain one beside partition
    /// directories (`x/` next to `a=1/`; `a=1/x/` where other files have `a=1/b=2/`).
    /// A plain directory below the last partition level of a table whose files all have the
    /// same partition columns is no mismatch (see [`NestedFiles`]).
    PlainDirectory,
    /// Data files in the table root next to partition directories.
    RootFiles,
    /// Different column sets, depths or orders across directories.
    DifferentColumns,
}

/// The partitioning of one table, decided over all its data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TablePartitioning {
    /// No data file sits under a partition directory (files in the root or in plain
    /// directories only).
    Unpartitioned,
    /// Every data file sits under the same partition columns, in this order.
    Partitioned {
        /// The column names (decoded), outermost first.
        columns: Vec<String>,
        /// Files in plain directories below the last partition level, if any: they belong
        /// to that partition (`nested_directories`, info).
        nested: Option<NestedFiles>,
    },
    /// The directories disagree: `partition_mismatch`, the table is not imported.
    Mismatch {
        /// Which disagreement (the first found, in the order of [`MismatchKind`]'s checks).
        kind: MismatchKind,
        /// A message naming the disagreement.
        message: String,
        /// One or two example files (the names the caller passed), sorted; one when a
        /// single path is inconsistent by itself.
        examples: Vec<String>,
    },
}

/// Decides a table's partition columns from every data file's directory segments below the
/// table directory (`name` is the file key or relative path used in messages).
///
/// Checks, in this order, and reports the first that fails:
/// 1. each path alone: a column at two levels ([`MismatchKind::DuplicateKey`]), two columns
///    differing only by case ([`MismatchKind::CaseConflict`]), a plain or invalid directory
///    above or among the partition levels, or an invalid one below them
///    ([`MismatchKind::PlainDirectory`]; the message says which);
/// 2. column names across the table that differ only by case ([`MismatchKind::CaseConflict`]);
/// 3. data files directly in the table root beside partitioned files ([`MismatchKind::RootFiles`]);
/// 4. files in plain directories beside partitioned files ([`MismatchKind::PlainDirectory`]);
/// 5. different column lists, counting partition levels only: a plain directory below one
///    file's partition levels where other files have a further partition level
///    ([`MismatchKind::PlainDirectory`]), else [`MismatchKind::DifferentColumns`].
///
/// Plain directories strictly below the last partition level (`date=1/bucket_00001/p.csv`,
/// at any depth) are no mismatch when every file has the same partition columns: the files
/// belong to that partition, as Spark and pyarrow read them, and
/// [`TablePartitioning::Partitioned::nested`] says so.
///
/// Keys compare after decoding (`%41=1` and `A=2` are the same column), as exact strings (no
/// Unicode normalisation); case conflicts compare Unicode lowercase. Files are grouped by
/// directory in sorted maps and every example is the least name of its kind, so the result
/// never depends on listing order.
///
/// `files` are (name, directory segments) pairs, owned or borrowed.
pub fn table_partitions<N: AsRef<str>, D: AsRef<[String]>>(files: &[(N, D)]) -> TablePartitioning {
    // Group the files by directory and parse each directory once: a table holds far more
    // files than directories. BTreeMaps and sorted name lists make every "first" below
    // independent of the input order.
    let mut by_dir: BTreeMap<&[String], BTreeSet<&str>> = BTreeMap::new();
    for (name, segments) in files {
        by_dir.entry(segments.as_ref()).or_default().insert(name.as_ref());
    }
    let dirs: Vec<Dir<'_>> = by_dir
        .into_iter()
        .map(|(segments, names)| {
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            let names: Vec<&str> = names.into_iter().collect();
            let is_root = segments.is_empty();
            Dir {
                names,
                is_root,
                path: partition_path(&segments),
            }
        })
        .collect();

    // 1. Each path by itself.
    for dir in &dirs {
        if let Some((kind, message)) = path_problem(&dir.path) {
            return mismatch(kind, message, [dir.example(), dir.example()]);
        }
    }

    // 2. Case conflicts across the table: lowercase name -> spelling -> first file using it.
    let mut spellings: BTreeMap<String, BTreeMap<&str, &str>> = BTreeMap::new();
    for dir in &dirs {
        for key in dir.path.column_names() {
            let first = spellings
                .entry(key.to_lowercase())
                .or_default()
                .entry(key)
                .or_insert(dir.example());
            *first = (*first).min(dir.example());
        }
    }
    if let Some(variants) = spellings.values().find(|v| v.len() > 1) {
        let mut it = variants.iter();
        if let (Some((a, fa)), Some((b, fb))) = (it.next(), it.next()) {
            let message = format!("partition columns `{a}` and `{b}` differ only by case");
            return mismatch(MismatchKind::CaseConflict, message, [fa, fb]);
        }
    }

    let Some(partitioned) = dirs
        .iter()
        .filter(|d| !d.path.columns.is_empty())
        .map(Dir::example)
        .min()
    else {
        return TablePartitioning::Unpartitioned;
    };

    // 3. Files in the root beside partition directories: name them (up to a few).
    if let Some(root) = dirs.iter().find(|d| d.is_root) {
        let message = format!(
            "{} data file(s) in the table root beside partition directories: {}",
            root.names.len(),
            list_some(&root.names)
        );
        return mismatch(MismatchKind::RootFiles, message, [root.example(), partitioned]);
    }

    // 4. Files in plain directories beside partition directories (step 1 covered plain
    // directories inside partitioned paths, so these paths have no partition level).
    if let Some(dir) = dirs.iter().find(|d| d.path.columns.is_empty()) {
        let plain = dir.path.first_non_partition_level().unwrap_or_default();
        let message =
            format!("directory `{plain}` is not a `column=value` partition but sits beside partition directories");
        return mismatch(MismatchKind::PlainDirectory, message, [dir.example(), partitioned]);
    }

    // 5. The column lists, grouped; the most common layout first.
    let mut layouts: BTreeMap<Vec<&str>, (usize, &str)> = BTreeMap::new();
    for dir in &dirs {
        let (count, example) = layouts
            .entry(dir.path.column_names().collect())
            .or_insert((0, dir.example()));
        *count += dir.names.len();
        *example = (*example).min(dir.example());
    }
    let mut layouts: Vec<(Vec<&str>, (usize, &str))> = layouts.into_iter().collect();
    // Stable sort: equal counts keep the layouts' own order.
    layouts.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
    // Nested files: directories with plain levels below their partition levels, least
    // example first (dirs are sorted by path, not by example).
    let mut nested: Vec<&Dir<'_>> = dirs.iter().filter(|d| d.path.is_nested()).collect();
    nested.sort_by_key(|d| d.example());
    match layouts.as_slice() {
        [] => TablePartitioning::Unpartitioned,
        [(columns, _)] => TablePartitioning::Partitioned {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            nested: nested.first().map(|first| NestedFiles {
                count: nested.iter().map(|d| d.names.len()).sum(),
                example: first.example().to_owned(),
                directory: first.path.plain.first().map(|(_, d)| d.clone()).unwrap_or_default(),
            }),
        },
        [(_, (_, a)), (_, (_, b)), ..] => {
            // A plain directory where other files have one more partition level (`a=1/x/`
            // beside `a=1/b=2/`) is a plain directory beside partition directories.
            let beside = nested.iter().find_map(|d| {
                let columns: Vec<&str> = d.path.column_names().collect();
                let (deeper, example) = layouts
                    .iter()
                    .filter(|(other, _)| other.len() > columns.len() && other.starts_with(&columns))
                    .map(|(other, (_, example))| (other[columns.len()], *example))
                    .min_by_key(|(_, example)| *example)?;
                Some((d, deeper, example))
            });
            if let Some((d, deeper, other)) = beside {
                let plain = d.path.plain.first().map(|(_, p)| p.as_str()).unwrap_or_default();
                let message = format!(
                    "directory `{plain}` (in {}) is not a `column=value` partition but sits where other files have partition column `{deeper}` (e.g. {other})",
                    d.example()
                );
                return mismatch(MismatchKind::PlainDirectory, message, [d.example(), other]);
            }
            let described: Vec<String> = layouts
                .iter()
                .take(MAX_LISTED)
                .map(|(cols, (count, example))| format!("[{}] in {count} file(s), e.g. {example}", cols.join(", ")))
                .collect();
            let more = match layouts.len().saturating_sub(MAX_LISTED) {
                0 => String::new(),
                more => format!("; and {more} more"),
            };
            let note = match nested.first().and_then(|d| d.path.plain.first()) {
                Some((_, plain)) => format!(
                    " (plain directories below the last partition level, such as `{plain}`, are read only when every file has the same partition columns)"
                ),
                None => String::new(),
            };
            let message = format!(
                "partition columns differ across directories: {}{more}{note}",
                described.join("; ")
            );
            mismatch(MismatchKind::DifferentColumns, message, [a, b])
        }
    }
}

/// The data files of one directory below the table, and what its path says.
struct Dir<'a> {
    /// File names, sorted, deduplicated, never empty.
    names: Vec<&'a str>,
    /// The files sit directly in the table directory.
    is_root: bool,
    path: PathPartitions,
}

impl<'a> Dir<'a> {
    /// The directory's first file by name, used as its example.
    fn example(&self) -> &'a str {
        self.names.first().copied().unwrap_or_default()
    }
}

/// How many items a message lists before saying "and N more".
const MAX_LISTED: usize = 5;

fn list_some(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_LISTED).copied().collect();
    match names.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

fn mismatch(kind: MismatchKind, message: String, examples: [&str; 2]) -> TablePartitioning {
    let mut examples: Vec<String> = examples.iter().map(|e| (*e).to_owned()).collect();
    examples.sort();
    examples.dedup();
    TablePartitioning::Mismatch {
        kind,
        message,
        examples,
    }
}

/// The first inconsistency of one path by itself, scanning its levels outermost first.
fn path_problem(path: &PathPartitions) -> Option<(MismatchKind, String)> {
    let mut seen: Vec<&str> = Vec::new();
    for key in path.column_names() {
        if seen.contains(&key) {
            return Some((
                MismatchKind::DuplicateKey,
                format!("partition column `{key}` appears at two levels"),
            ));
        }
        if let Some(other) = seen.iter().find(|s| s.to_lowercase() == key.to_lowercase()) {
            return Some((
                MismatchKind::CaseConflict,
                format!("partition columns `{other}` and `{key}` differ only by case"),
            ));
        }
        seen.push(key);
    }
    let levels = path.levels();
    let is_partition = |l: &Level<'_>| l.kind == LevelKind::Partition;
    let (Some(first), Some(last)) = (
        levels.iter().position(is_partition),
        levels.iter().rposition(is_partition),
    ) else {
        return None;
    };
    for (pos, level) in levels.iter().enumerate() {
        let dir = level.raw;
        if level.kind == LevelKind::Partition {
            continue;
        }
        if pos < first {
            let down_to_first: Vec<&str> = levels[..=first].iter().map(|l| l.raw).collect();
            return Some((
                MismatchKind::PlainDirectory,
                format!(
                    "directory `{dir}` is not a `column=value` partition but sits above the partition levels (`{}/`); partition directories must be direct children of the table directory",
                    down_to_first.join("/")
                ),
            ));
        }
        if pos < last {
            return Some((
                MismatchKind::PlainDirectory,
                format!("directory `{dir}` is not a `column=value` partition but sits among partition directories"),
            ));
        }
        if level.kind == LevelKind::Invalid {
            return Some((
                MismatchKind::PlainDirectory,
                format!("directory `{dir}` is not a `column=value` partition but sits below partition directories"),
            ));
        }
    }
    // Only plain directories below the last partition level: nested files, not a problem
    // of the path by itself.
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files as `"dir/dir/file"` paths relative to the table directory.
    fn table(paths: &[&str]) -> TablePartitioning {
        let files: Vec<(String, Vec<String>)> = paths
            .iter()
            .map(|p| {
                let mut segs: Vec<String> = p.split('/').map(str::to_owned).collect();
                segs.pop();
                ((*p).to_owned(), segs)
            })
            .collect();
        table_partitions(&files)
    }

    fn kind(t: &TablePartitioning) -> Option<MismatchKind> {
        match t {
            TablePartitioning::Mismatch { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    // | the same key at two levels (`k=1/k=2`) | table invalid: `partition_mismatch` |
    #[test]
    fn same_key_at_two_levels() {
        let t = table(&["k=1/k=2/f.csv", "k=1/k=3/g.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::DuplicateKey));
        // Decoded: `%6B` is `k`.
        assert_eq!(kind(&table(&["k=1/%6B=2/f.csv"])), Some(MismatchKind::DuplicateKey));
        let TablePartitioning::Mismatch { examples, .. } = t else {
            panic!()
        };
        assert_eq!(examples, ["k=1/k=2/f.csv"]);
    }

    // | keys differing only by case (`Region` / `region`) | conflict: `partition_mismatch` |
    #[test]
    fn keys_differing_only_by_case() {
        let t = table(&["Region=eu/f.csv", "region=us/g.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::CaseConflict));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert!(
            message.contains("`Region`") && message.contains("`region`"),
            "{message}"
        );
        assert_eq!(examples, ["Region=eu/f.csv", "region=us/g.csv"]);
        // Within one path, and beyond ASCII.
        assert_eq!(kind(&table(&["a=1/A=2/f.csv"])), Some(MismatchKind::CaseConflict));
        assert_eq!(kind(&table(&["Ä=1/f", "ä=1/g"])), Some(MismatchKind::CaseConflict));
    }

    // | different key sets, depths or orders across directories | `partition_mismatch` naming two
    // example paths; the table is not imported (partitioning = all) |
    #[test]
    fn different_key_sets_depths_or_orders() {
        let sets = table(&["date=2024-01-01/f.csv", "dt=2024-01-02/g.csv"]);
        assert_eq!(kind(&sets), Some(MismatchKind::DifferentColumns));
        let depths = table(&["a=1/b=1/f.csv", "a=1/g.csv"]);
        assert_eq!(kind(&depths), Some(MismatchKind::DifferentColumns));
        let orders = table(&["a=1/b=1/f.csv", "b=1/a=1/g.csv"]);
        assert_eq!(kind(&orders), Some(MismatchKind::DifferentColumns));
        // Examples: one file of the most common layout, one of the next.
        let t = table(&["a=2/f", "a=1/f", "b=1/f", "a=3/f"]);
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert_eq!(examples, ["a=1/f", "b=1/f"]);
        assert!(message.contains("[a] in 3 file(s)"), "{message}");
        assert!(message.contains("[b] in 1 file(s)"), "{message}");
    }

    // | data files in the table root next to partition directories | `partition_mismatch` naming
    // the files; never silently dropped (Spark drops them) |
    #[test]
    fn data_files_in_the_table_root() {
        let t = table(&["a=1/f.csv", "root1.csv", "root2.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::RootFiles));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert!(message.contains("root1.csv, root2.csv"), "{message}");
        assert_eq!(examples, ["a=1/f.csv", "root1.csv"]);
        // Only root files: not partitioned, no mismatch.
        assert_eq!(table(&["f.csv", "g.csv"]), TablePartitioning::Unpartitioned);
    }

    // | a plain directory among partition levels (`a=1/x/b=2`) or beside them | in "all" mode the
    // table is inconsistent: `partition_mismatch` |
    #[test]
    fn plain_directory_among_or_beside_partition_levels() {
        // Among.
        let t = table(&["a=1/x/b=2/f"]);
        assert_eq!(kind(&t), Some(MismatchKind::PlainDirectory));
        let TablePartitioning::Mismatch { message, .. } = t else {
            panic!()
        };
        assert!(message.contains("`x`") && message.contains("among"), "{message}");
        // Beside: `x/` next to `a=1/`.
        let t = table(&["a=1/f", "x/g"]);
        assert_eq!(kind(&t), Some(MismatchKind::PlainDirectory));
        let TablePartitioning::Mismatch { message, .. } = t else {
            panic!()
        };
        assert!(message.contains("`x`"), "{message}");
        // Beside, one level down: `a=1/x/` next to `a=1/b=2/` (x is not below the last
        // partition level of the table, it stands where `b` stands).
        let t = table(&["a=1/x/f", "a=1/b=2/g"]);
        assert_eq!(kind(&t), Some(MismatchKind::PlainDirectory));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert!(message.contains("`x`") && message.contains("`b`"), "{message}");
        assert_eq!(examples, ["a=1/b=2/g", "a=1/x/f"]);
        assert_eq!(
            kind(&table(&["a=2/x/f", "a=1/b=2/g"])),
            Some(MismatchKind::PlainDirectory)
        );
        // An invalid segment (`=1`) is not a partition level, at any place.
        assert_eq!(kind(&table(&["a=1/=1/f"])), Some(MismatchKind::PlainDirectory));
        assert_eq!(kind(&table(&["a=1/x/=1/f"])), Some(MismatchKind::PlainDirectory));
        assert_eq!(kind(&table(&["=1/a=1/f"])), Some(MismatchKind::PlainDirectory));
        // Plain directories alone: not partitioned (the caller reports table_not_partitioned).
        assert_eq!(
            table(&["2024/01/f", "2024/02/g", "h"]),
            TablePartitioning::Unpartitioned
        );
    }

    // | a plain directory below the last partition level (`date=1/bucket_00001/p.csv`) | the
    // files belong to that partition (Spark and pyarrow read them too); `nested_directories`
    // (info) names an example |
    #[test]
    fn plain_directory_below_the_last_partition_level() {
        let t = table(&[
            "date=2025-01-02/part-0.csv",
            "date=2025-01-01/bucket_00001/part-0.csv",
            "date=2025-01-01/bucket_00000/part-0.csv",
            // Different depths of nesting under the same columns are fine.
            "date=2025-01-03/x/y/part-0.csv",
        ]);
        assert_eq!(
            t,
            TablePartitioning::Partitioned {
                columns: vec!["date".into()],
                nested: Some(NestedFiles {
                    count: 3,
                    example: "date=2025-01-01/bucket_00000/part-0.csv".into(),
                    directory: "bucket_00000".into(),
                }),
            }
        );
        // Below two levels; Hive UNION ALL's `HIVE_UNION_SUBDIR_1` directories too.
        let t = table(&["a=1/b=2/HIVE_UNION_SUBDIR_1/f", "a=1/b=3/g"]);
        assert!(
            matches!(&t, TablePartitioning::Partitioned { columns, nested: Some(n) } if columns.len() == 2 && n.count == 1),
            "{t:?}"
        );
        // Only when every file has the same partition columns: otherwise the usual mismatch,
        // with a note on why the nested directory does not help.
        let t = table(&["a=1/x/f", "b=1/g"]);
        assert_eq!(kind(&t), Some(MismatchKind::DifferentColumns));
        let TablePartitioning::Mismatch { message, .. } = t else {
            panic!()
        };
        assert!(message.contains("such as `x`"), "{message}");
    }

    // | a plain directory above the first partition level (`t/v1/date=1/p.csv`) |
    // `partition_mismatch`; the message says the plain directory sits above the partition
    // levels and that partition directories must be direct children of the table directory |
    #[test]
    fn plain_directory_above_the_first_partition_level() {
        let t = table(&["v1/date=2025-01-01/p.csv", "v1/date=2025-01-02/p.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::PlainDirectory));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert_eq!(
            message,
            "directory `v1` is not a `column=value` partition but sits above the partition levels (`v1/date=2025-01-01/`); partition directories must be direct children of the table directory"
        );
        assert_eq!(examples, ["v1/date=2025-01-01/p.csv"]);
        // The outermost plain directory is named, and the path down to the first level shown.
        let TablePartitioning::Mismatch { message, .. } = table(&["v1/v2/a=1/x/f"]) else {
            panic!()
        };
        assert!(
            message.contains("`v1`") && message.contains("(`v1/v2/a=1/`)"),
            "{message}"
        );
    }

    // | `k=v` above the table directory (in the schema prefix itself) | never a partition column |
    // The caller passes only the segments below the table directory.
    #[test]
    fn k_v_above_the_table_directory() {
        let files = vec![("year=2024/t/f.csv".to_owned(), Vec::new())];
        assert_eq!(table_partitions(&files), TablePartitioning::Unpartitioned);
    }

    // | a table directory directly under the schema prefix named `k=v` | a warning: the schema
    // prefix is probably one level too high |
    // The caller warns; what it needs from here is that the name parses as a partition.
    #[test]
    fn table_directory_named_k_v() {
        assert!(matches!(parse_segment("year=2024"), SegmentParse::Partition(_)));
        assert_eq!(parse_segment("sales"), SegmentParse::NotPartition);
    }

    // | listing order | results never depend on it (property test: shuffle the files) |
    #[test]
    fn listing_order() {
        let mut paths = vec!["b=1/f", "a=1/f", "a=2/f", "b=2/f", "c/f"];
        let first = table(&paths);
        paths.reverse();
        assert_eq!(table(&paths), first);
    }

    #[test]
    fn consistent_table_is_partitioned() {
        let t = table(&[
            "year=2024/month=1/f.parquet",
            "year=2024/month=2/f.parquet",
            "year=__HIVE_DEFAULT_PARTITION__/month=1/f.parquet",
            "year=2023/month=%31%32/f.parquet",
        ]);
        assert_eq!(
            t,
            TablePartitioning::Partitioned {
                columns: vec!["year".into(), "month".into()],
                nested: None,
            }
        );
        // Decoded keys: `%41` and `A` are one column.
        assert_eq!(
            table(&["%41=1/f", "A=2/f"]),
            TablePartitioning::Partitioned {
                columns: vec!["A".into()],
                nested: None,
            }
        );
        assert_eq!(table(&[]), TablePartitioning::Unpartitioned);
    }

    // Files table: | Unicode | no normalisation; keys compare as bytes |
    #[test]
    fn unicode_keys_are_not_normalised() {
        let nfc = "caf\u{e9}=1/f";
        let nfd = "cafe\u{301}=1/g";
        assert_eq!(kind(&table(&[nfc, nfd])), Some(MismatchKind::DifferentColumns));
    }
}
