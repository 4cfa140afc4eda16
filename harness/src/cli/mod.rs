//! The `s3-harness` command line: argument parsing and one function per command.

mod check;
mod policy;
mod run;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "s3-harness",
    version,
    about = "A local S3 simulator and scenario runner for S3 data connectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Decide one request the way AWS does (CONTRACTS 5); reads JSON from FILE or `-`.
    Eval {
        #[arg(default_value = "-")]
        file: String,
    },
    /// Print the bucket policy the connection form shows (CONTRACTS 6).
    Generate {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        role: String,
    },
    /// Check a pasted bucket policy against what the connection needs; exits 1 when
    /// it falls short.
    Check {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        account: String,
        #[arg(long)]
        role: String,
        /// The schema prefix the connection reads.
        #[arg(long, default_value = "")]
        prefix: String,
        /// The policy JSON file (`-` for standard input).
        policy: String,
    },
}

#[derive(Subcommand)]
enum Command {
    /// The IAM policy engine: evaluate, generate and check bucket policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run each scenario through the connector against the simulator and report
    /// (CONTRACTS 2); exits 1 if a scenario file cannot be loaded.
    Run {
        /// Print one JSON object per scenario, one per line.
        #[arg(long)]
        json: bool,
        /// Colour the report: auto (on a terminal), always, never.
        #[arg(long, default_value = "auto")]
        color: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Load scenario files (or every `*.toml` under folders) and summarise each
    /// world; exits 1 if any file cannot be loaded.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Serve one scenario's world as an S3 endpoint until interrupted.
    Serve {
        /// The scenario file.
        path: PathBuf,
        /// Where to listen (loopback only is recommended).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
    },
}

/// Parses the arguments, runs the command, and maps its outcome to an exit status.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,s3s=off")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Policy(cmd) => policy::run(cmd),
            Command::Serve { path, addr } => serve::serve(&path, addr).await,
            Command::Run { json, color, paths } => run::run(&paths, json, &color).await,
            Command::Check { paths } => check::check(&paths),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
