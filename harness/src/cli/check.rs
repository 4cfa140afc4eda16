//! `s3-harness check`: load every scenario and summarise its world, without running it.

use std::path::PathBuf;

use s3_harness::World;
use s3_harness::scenario::load_scenario;

/// Loads every scenario and prints one line each: what its world holds, or why it
/// cannot be loaded.
pub(super) fn check(paths: &[PathBuf]) -> anyhow::Result<()> {
    let files = s3_harness::scenario::discover(paths)?;
    let mut failed = 0;
    for file in &files {
        match load_scenario(file).map_err(anyhow::Error::from).and_then(|s| {
            let w = World::from_scenario(&s)?;
            Ok((s, w))
        }) {
            Ok((s, (world, rejected))) => {
                let buckets = world.store.buckets();
                let objects: usize = buckets
                    .iter()
                    .filter_map(|b| world.store.object_count(&b.name).ok())
                    .sum();
                let bytes: u64 = buckets
                    .iter()
                    .filter_map(|b| world.store.total_size(&b.name).ok())
                    .sum();
                println!(
                    "ok    {}: {} bucket(s), {objects} object(s), {bytes} byte(s), {} identities: {}",
                    file.display(),
                    buckets.len(),
                    world.identities().len(),
                    s.description
                );
                for r in &rejected {
                    println!(
                        "      bucket {}: PutBucketPolicy refuses the policy: {}: {}",
                        r.bucket, r.code, r.message
                    );
                }
            }
            Err(e) => {
                failed += 1;
                println!("error {e:#}");
            }
        }
    }
    println!("{} scenario(s) checked, {failed} could not be loaded", files.len());
    if failed > 0 {
        anyhow::bail!("{failed} scenario file(s) could not be loaded");
    }
    Ok(())
}
