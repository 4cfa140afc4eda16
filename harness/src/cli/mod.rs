//! The `s3-harness` command line: argument parsing and one function per command.

mod policy;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use s3_harness::scenario::load_scenario;
use s3_harness::{Simulator, World};

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
            Command::Policy(cmd) => policy(cmd),
            Command::Serve { path, addr } => serve(&path, addr).await,
            Command::Run { json, color, paths } => run(&paths, json, &color).await,
            Command::Check { paths } => check(&paths),
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

async fn run(paths: &[PathBuf], json: bool, color: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let files = s3_harness::scenario::discover(paths)?;
    let color = match color {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let style = s3_harness::run::render::Style { color };
    let mut failed = 0;
    for file in &files {
        match s3_harness::run_scenario_file(file).await {
            Ok(r) if json => println!("{}", r.to_json()),
            Ok(r) => println!("{}", s3_harness::run::render::render(&r, style)),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario file(s) could not be loaded", files.len());
    }
    Ok(())
}

fn read_input(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
}

fn policy(cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Eval { file } => {
            let input = read_input(&file)?;
            match policy::eval(&input) {
                Ok(v) => {
                    println!("{v}");
                    Ok(())
                }
                Err(e) => {
                    println!("{}", e.to_json());
                    anyhow::bail!("{e}")
                }
            }
        }
        PolicyCommand::Generate { bucket, account, role } => {
            let p = s3_connector::bucket_policy::generated_policy(&bucket, &account, &role);
            println!("{}", serde_json::to_string_pretty(&p)?);
            Ok(())
        }
        PolicyCommand::Check {
            bucket,
            account,
            role,
            prefix,
            policy,
        } => {
            let text = read_input(&policy)?;
            let needs = s3_connector::bucket_policy::check::ConnectionNeeds {
                bucket: &bucket,
                account: &account,
                role: &role,
                prefix: &prefix,
            };
            let (report, ok) = policy::check(&text, &needs);
            print!("{report}");
            if ok {
                Ok(())
            } else {
                anyhow::bail!("the policy does not give the connection what it needs")
            }
        }
    }
}

/// Loads every scenario and prints one line each: what its world holds, or why it
/// cannot be loaded.
fn check(paths: &[PathBuf]) -> anyhow::Result<()> {
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

async fn serve(path: &std::path::Path, addr: SocketAddr) -> anyhow::Result<()> {
    let sim = Simulator::builder().scenario_file(path).addr(addr).start().await?;
    // CONTRACTS 4: the endpoint is the first line of standard output.
    println!("endpoint: {}", sim.endpoint());
    print!("{}", serve::banner(&sim));
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    eprintln!("stopping: {} requests served", sim.requests().len());
    sim.shutdown().await;
    Ok(())
}
