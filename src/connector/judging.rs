//! Discovery on blocking threads, telling the connector of each table as it is judged.
//!
//! Judging a large listing's tables is CPU work (hundreds of milliseconds for 1,000
//! tables of 730 files), and sampling their files is waiting on S3: the two overlap, so a
//! table's files are read while later tables are still being judged. What is read does
//! not change: the same read check (the first imported table's first file, in name
//! order, known only once every table before it is judged), then every imported table's
//! sample; only when each read starts changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::channel::mpsc;

use crate::config::ConnectionConfig;
use crate::layout::ListedObject;
use crate::layout::tables::{DataFile, Judged, Layout, discover_tables, discover_tables_judging};

use super::sample;

/// One judged table candidate, for the connector's reads.
#[derive(Debug, Clone)]
pub(super) struct SampleJob {
    /// Its place among the candidates, in name order.
    index: usize,
    /// The table directory's name.
    pub(super) name: String,
    /// Whether it is imported (its files are then sampled).
    pub(super) imported: bool,
    /// The files its schema sample reads, in file order (none when not imported); the
    /// first is the table's first file, the read check's target when the table is the
    /// first imported.
    pub(super) files: Vec<DataFile>,
}

impl SampleJob {
    fn of(judged: Judged<'_>, files_per_table: usize) -> Self {
        let files = judged.files.unwrap_or_default();
        Self {
            index: judged.index,
            name: judged.name.to_owned(),
            imported: judged.files.is_some(),
            files: sample::picks(files.len(), files_per_table)
                .into_iter()
                .filter_map(|i| files.get(i).cloned())
                .collect(),
        }
    }
}

/// Discovery running on a blocking thread, its tables arriving on `judged` as they are
/// judged (in no particular order) and its layout at the end.
pub(super) struct Discovery {
    task: Option<tokio::task::JoinHandle<Layout>>,
    config: ConnectionConfig,
    objects: Arc<Vec<ListedObject>>,
    pub(super) judged: mpsc::UnboundedReceiver<SampleJob>,
}

impl Discovery {
    pub(super) fn start(config: &ConnectionConfig, objects: Vec<ListedObject>, files_per_table: usize) -> Self {
        let (tell, judged) = mpsc::unbounded();
        let objects = Arc::new(objects);
        let task = {
            let (config, objects) = (config.clone(), Arc::clone(&objects));
            tokio::task::spawn_blocking(move || {
                // The receiver may be gone (the connector stopped at the read check): the
                // layout is still wanted, the tables no longer.
                discover_tables_judging(&config, &objects, &|judged| {
                    let _ = tell.unbounded_send(SampleJob::of(judged, files_per_table));
                })
            })
        };
        Self {
            task: Some(task),
            config: config.clone(),
            objects,
            judged,
        }
    }

    /// Everything listed under the schema prefix.
    pub(super) fn objects(&self) -> &[ListedObject] {
        &self.objects
    }

    /// The layout, once every table is judged.
    pub(super) async fn layout(&mut self) -> Layout {
        let joined = match self.task.take() {
            Some(task) => task.await,
            None => return discover_tables(&self.config, &self.objects),
        };
        match joined {
            Ok(layout) => layout,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down under us: judge here instead.
            Err(_) => discover_tables(&self.config, &self.objects),
        }
    }
}

/// Tables as they arrive, until the first imported one in name order is known.
#[derive(Debug, Default)]
pub(super) struct Arrivals {
    /// Imported tables received so far, in arrival order.
    pub(super) imported: Vec<SampleJob>,
    /// By index, the first file of each candidate received but not yet passed (imported
    /// ones only).
    waiting: BTreeMap<usize, Option<DataFile>>,
    /// Every candidate before this index is received and has no first file.
    next: usize,
}

impl Arrivals {
    /// Takes one more table; the first file of the first imported table once every
    /// table before it has arrived.
    pub(super) fn add(&mut self, job: SampleJob) -> Option<DataFile> {
        let first = job.files.first().cloned().filter(|_| job.imported);
        self.waiting.insert(job.index, first);
        if job.imported {
            self.imported.push(job);
        }
        while let Some(first) = self.waiting.remove(&self.next) {
            self.next += 1;
            if first.is_some() {
                return first;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::classify::FileFormat;

    fn file(key: &str) -> DataFile {
        DataFile {
            key: key.to_owned(),
            size: 1,
            format: FileFormat::Csv,
            dirs: Vec::new(),
        }
    }

    fn job(index: usize, files: Option<&[DataFile]>) -> SampleJob {
        SampleJob::of(
            Judged {
                index,
                name: &format!("t{index}"),
                files,
            },
            3,
        )
    }

    #[test]
    fn the_first_imported_table_waits_for_every_table_before_it() {
        let files = [file("a"), file("b"), file("c"), file("d"), file("e")];
        let mut arrivals = Arrivals::default();
        // Table 2 is imported, but tables 0 and 1 are not known yet.
        assert_eq!(arrivals.add(job(2, Some(&files[2..]))), None);
        // Table 0 is not imported; table 1 is still missing.
        assert_eq!(arrivals.add(job(0, None)), None);
        // Table 1 is imported: it is the first, whatever arrived after it.
        assert_eq!(arrivals.add(job(1, Some(&files[1..]))), Some(file("b")));
        let names: Vec<&str> = arrivals.imported.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["t2", "t1"]);
    }

    #[test]
    fn a_job_samples_the_first_last_and_middle_files() {
        let files: Vec<DataFile> = ["a", "b", "c", "d", "e"].map(file).to_vec();
        let job = job(0, Some(&files));
        let keys: Vec<&str> = job.files.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["a", "c", "e"]);
        assert!(job.imported);
    }
}
