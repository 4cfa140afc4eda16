//! The `s3-harness` binary; the commands live in `cli/`.

mod cli;

/// mimalloc rather than the system allocator: a request allocates a few dozen small
/// blocks and frees them at once, which glibc's allocator answers with consolidation
/// passes (about a fifth of `serve`'s instructions per GetObject, measured with
/// callgrind by the loopback bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
