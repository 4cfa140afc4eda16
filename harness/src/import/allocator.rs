//! The process's allocator set for reading a table.
//!
//! Reading a table allocates and frees buffers of hundreds of KiB to a few MiB all the
//! time (decompressed pages, ranged GET bodies, row groups). glibc serves those over its
//! mmap threshold with fresh mappings, and hands the top of its heaps back to the kernel
//! once more than the trim threshold is free there, so the same memory is mapped, zeroed
//! by the kernel and unmapped again, batch after batch: 0.2 s of system time in a 0.6 s
//! Parquet read of 4.3M rows (`perf`: page faults, `clear_page`, `unmap_page_range`).
//! Fixed thresholds keep those buffers in the heap: system time fell to 0.05-0.09 s and
//! the read to 0.42 s, peak RSS up 3 MiB (`rows_vs_clients -- --serve`, one read at a
//! time, `GLIBC_TUNABLES` against the defaults).

/// Allocations of up to this many bytes come from the heap, not from their own mapping
/// (glibc's own ceiling for its adaptive threshold).
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free memory kept at the top of a heap before it is handed back to the kernel.
pub const TRIM_THRESHOLD: usize = 64 << 20;

/// Sets glibc's mmap and trim thresholds to [`MMAP_THRESHOLD`] and [`TRIM_THRESHOLD`] for
/// the whole process; does nothing on other C libraries. For a process that reads tables
/// (`s3-harness import`, a benchmark): it holds up to [`TRIM_THRESHOLD`] of freed memory
/// per heap rather than returning it.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let (Ok(mmap), Ok(trim)) = (
            libc::c_int::try_from(MMAP_THRESHOLD),
            libc::c_int::try_from(TRIM_THRESHOLD),
        ) else {
            return;
        };
        // SAFETY: `mallopt` only sets the allocator's parameters, under its own lock; it
        // touches no memory of ours.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, mmap);
            libc::mallopt(libc::M_TRIM_THRESHOLD, trim);
        }
    }
}
