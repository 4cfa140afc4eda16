//! The `s3-harness` command line: argument parsing and one function per command.

mod capture;
mod check;
mod import;
mod policy;
mod run;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "s3-harness",
    version,
    about = "A local S3 simulator and scenario runner for S3 data connectors",
    after_help = "Scenario format, diagnostic codes, partition decisions and exit statuses: docs/ in the repository."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Decide one request the way AWS does and print the decision, S3's answer and a
    /// trace as JSON (input format: docs/cli.md).
    Eval {
        /// The request as JSON, from this file or `-` for standard input. Required when
        /// standard input is a terminal.
        file: Option<String>,
    },
    /// Print the bucket policy the connection form shows for a bucket.
    Generate {
        #[command(flatten)]
        who: Grant,
        /// Limit reading to this schema prefix (`data/audiences/`): GetObject on
        /// `BUCKET/PREFIX*` and ListBucket only for prefixes under it. Without it, the
        /// whole bucket, as the connection form shows.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Check a pasted bucket policy against what the connection needs; exits 1 when
    /// it falls short.
    Check {
        #[command(flatten)]
        who: Grant,
        /// The schema prefix the connection reads.
        #[arg(long, default_value = "")]
        prefix: String,
        /// The policy JSON file (`-` for standard input).
        policy: String,
    },
}

/// The bucket and the platform role a policy grants to.
#[derive(clap::Args)]
struct Grant {
    /// The customer's bucket.
    #[arg(long)]
    bucket: String,
    /// The importing platform's AWS account id (12 digits).
    #[arg(long)]
    account: String,
    /// The platform's reader role in that account.
    #[arg(long)]
    role: String,
}

/// When to colour the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Turn a customer's bucket (live, or a pasted listing) into a scenario folder that
    /// `run` and `serve` reproduce: keys folded into brace patterns, the bucket's region
    /// and policy, optionally the bytes schema inference reads, and an [expect] block.
    Capture(Box<capture::CaptureArgs>),
    /// The IAM policy engine: evaluate, generate and check bucket policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run each scenario through the connector against the simulator and report.
    ///
    /// Exit status: 0 when every scenario ran and met its [expect]; 1 when a scenario
    /// file could not be loaded or PATH names no scenario file; 3 when a scenario's
    /// [expect] was not met.
    Run {
        /// Print one JSON object per scenario, one per line.
        #[arg(long)]
        json: bool,
        /// With --json: add each table's and skipped table's file list (key, size,
        /// decoded partition values).
        #[arg(long, requires = "json")]
        files: bool,
        /// Colour the report.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Let fixture and policy paths point outside the scenario's folder and the
        /// fixture folders (absolute paths, `../..`): refused by default, since `serve`
        /// hands every fixture to any client.
        #[arg(long)]
        allow_fixtures_anywhere: bool,
        /// Scenario files, or folders searched recursively for `*.toml`.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Show the first rows of a discovered table, read through the simulator as the
    /// platform reader (bad rows are skipped and listed below the rows).
    Preview {
        /// The scenario file.
        path: PathBuf,
        /// The table, by name.
        #[arg(long)]
        table: String,
        /// Rows shown at most.
        #[arg(long, default_value_t = 20)]
        rows: usize,
        /// Print one JSON object: columns, rows, bad rows and their problems.
        #[arg(long)]
        json: bool,
        /// Let fixture and policy paths point outside the scenario's folder.
        #[arg(long)]
        allow_fixtures_anywhere: bool,
    },
    /// Import a discovered table into one Parquet file, read through the simulator as
    /// the platform reader; prints `rows: N` and `bad_rows: M`. Exits 1 (and writes
    /// nothing) when a bad row stops it.
    Import {
        /// The scenario file.
        path: PathBuf,
        /// The table, by name.
        #[arg(long)]
        table: String,
        /// The Parquet file to write (replaced only once the import completes).
        #[arg(long)]
        out: PathBuf,
        /// Memory the import may hold at once (B, KiB, MiB, GiB, KB, MB, GB).
        #[arg(long, default_value = "256MiB", value_parser = import::parse_size)]
        memory_limit: u64,
        /// What a bad row does: stop the import, or skip it (counted and listed).
        #[arg(long, value_enum, default_value_t = import::OnBadRow::Fail)]
        on_bad_row: import::OnBadRow,
        /// Let fixture and policy paths point outside the scenario's folder.
        #[arg(long)]
        allow_fixtures_anywhere: bool,
    },
    /// Load scenario files and summarise each world without running it; exits 1 if any
    /// file cannot be loaded or PATH names no scenario file.
    Check {
        /// Let fixture and policy paths point outside the scenario's folder and the
        /// fixture folders (absolute paths, `../..`): refused by default, since `serve`
        /// hands every fixture to any client.
        #[arg(long)]
        allow_fixtures_anywhere: bool,
        /// Scenario files, or folders searched recursively for `*.toml`.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Serve one scenario's world as an S3 endpoint until interrupted; the first line
    /// printed is `endpoint: http://HOST:PORT` (`https://` with `--tls`, and then the
    /// second is `ca: PATH`, the CA certificate clients trust).
    Serve {
        /// The scenario file.
        path: PathBuf,
        /// Where to listen, as HOST:PORT (port 0 picks a free one); loopback is
        /// recommended.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: String,
        /// Let fixture and policy paths point outside the scenario's folder and the
        /// fixture folders (absolute paths, `../..`): refused by default, since `serve`
        /// hands every fixture to any client.
        #[arg(long)]
        allow_fixtures_anywhere: bool,
        /// Serve HTTPS, as S3 is reached, with a certificate for localhost, 127.0.0.1,
        /// *.localhost and *.s3.localhost (and each --domain) signed by a CA made for
        /// this run; its PEM file is printed on the second line as `ca: PATH`, for
        /// AWS_CA_BUNDLE or boto3's verify=.
        #[arg(long)]
        tls: bool,
        /// Where to write the CA certificate (with --tls); by default a file in a
        /// temporary folder removed when serve stops.
        #[arg(long, value_name = "PATH", requires = "tls")]
        ca_out: Option<PathBuf>,
        /// Another base domain for virtual-hosted-style requests (`Host:
        /// BUCKET.DOMAIN:PORT` addresses BUCKET), besides localhost and s3.localhost;
        /// may be repeated. With --tls the certificate covers DOMAIN and *.DOMAIN.
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
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
            Command::Policy(cmd) => policy::run(cmd).map(|()| ExitCode::SUCCESS),
            Command::Capture(args) => capture::capture(*args).await,
            Command::Serve {
                path,
                addr,
                allow_fixtures_anywhere,
                tls,
                ca_out,
                domains,
            } => serve::serve(serve::ServeArgs {
                path: &path,
                addr: &addr,
                allow_fixtures_anywhere,
                tls,
                ca_out,
                domains,
            })
            .await
            .map(|()| ExitCode::SUCCESS),
            Command::Run {
                json,
                files,
                color,
                allow_fixtures_anywhere,
                paths,
            } => {
                run::run(
                    &paths,
                    run::Format::new(json, files, color),
                    &load_options(allow_fixtures_anywhere),
                )
                .await
            }
            Command::Check {
                allow_fixtures_anywhere,
                paths,
            } => check::check(&paths, &load_options(allow_fixtures_anywhere)),
            Command::Preview {
                path,
                table,
                rows,
                json,
                allow_fixtures_anywhere,
            } => import::preview(&path, &table, rows, json, &load_options(allow_fixtures_anywhere))
                .await
                .map(|()| ExitCode::SUCCESS),
            Command::Import {
                path,
                table,
                out,
                memory_limit,
                on_bad_row,
                allow_fixtures_anywhere,
            } => import::import(
                &path,
                &table,
                &out,
                &s3_harness::import::ImportOptions {
                    memory_limit,
                    on_bad_row: on_bad_row.into(),
                },
                &load_options(allow_fixtures_anywhere),
            )
            .await
            .map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        // `| head` closed the pipe: the reader has what it wanted.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load_options(allow_fixtures_anywhere: bool) -> s3_harness::scenario::LoadOptions {
    s3_harness::scenario::LoadOptions {
        allow_paths_anywhere: allow_fixtures_anywhere,
        ..Default::default()
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The scenario files under `paths`; naming none is an error, never a silent success.
fn scenario_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    for p in paths {
        if !p.exists() {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    let files = s3_harness::scenario::discover(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("no scenario file (*.toml) under {}", shown.join(", "));
    }
    Ok(files)
}
