//! `s3-harness check`: load every scenario and summarise its world, without running it.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use s3_harness::World;
use s3_harness::scenario::{LoadOptions, load_scenario_with};

/// Loads every scenario and prints one line each: what its world holds, or why it
/// cannot be loaded.
pub(super) fn check(paths: &[PathBuf], options: &LoadOptions) -> anyhow::Result<ExitCode> {
    let files = super::scenario_files(paths)?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for file in &files {
        // Each error's message already carries its cause: printed once, with the file.
        let loaded = load_scenario_with(file, options)
            .map_err(|e| e.to_string())
            .and_then(|s| {
                let w = World::from_scenario(&s).map_err(|e| format!("{}: {e}", file.display()))?;
                Ok((s, w))
            });
        match loaded {
            Ok((s, (world, rejected))) => {
                let buckets = world.store.buckets();
                // Saturating: a virtual key space may hold more than 64 bits can count.
                let objects: u64 = buckets
                    .iter()
                    .filter_map(|b| world.store.object_count(&b.name).ok())
                    .fold(0, u64::saturating_add);
                let bytes: u64 = buckets
                    .iter()
                    .filter_map(|b| world.store.total_size(&b.name).ok())
                    .fold(0, u64::saturating_add);
                writeln!(
                    out,
                    "ok    {}: {} bucket(s), {objects} object(s), {bytes} byte(s), {} identities: {}",
                    file.display(),
                    buckets.len(),
                    world.identities().len(),
                    s.description
                )?;
                for r in &rejected {
                    writeln!(
                        out,
                        "      bucket {}: PutBucketPolicy refuses the policy: {}: {}",
                        r.bucket, r.code, r.message
                    )?;
                }
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "error {e}")?;
            }
        }
    }
    writeln!(out, "{} scenario(s) checked, {failed} could not be loaded", files.len())?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
