//! `s3-harness run`: each scenario's world served in process, the
//! connector run against it over real HTTPS (or HTTP, as `[simulator] transport`
//! says) as the platform reader, and a report.

mod expect;
mod files;
mod fold;
pub mod render;

use std::collections::BTreeMap;
use std::path::Path;

use s3_connector::config::ConnectionForm;
use s3_connector::connector::{ConnectionReport, ConnectionStatus, Connector, ConnectorOptions};
use s3_connector::read::{BadRowPolicy, ReadOptions};
use s3_connector::retry::RetryOptions;
use serde::Serialize;
use serde_json::Value;

pub use expect::Expectations;
pub use files::with_file_lists;

use crate::scenario::{LoadOptions, Scenario, Transport, load_scenario_with};
use crate::sim::faults::FaultConfig;
use crate::sim::request_log::Decision;
use crate::sim::server::{client, client_trusting};
use crate::sim::world::RejectedPolicy;
use crate::{Error, ServerOptions, Simulator, World};

/// A request the simulator denied, and why (from its policy evaluation).
#[derive(Debug, Clone, Serialize)]
pub struct Denial {
    /// The S3 operation.
    pub operation: String,
    /// `bucket` or `bucket/key`.
    pub resource: String,
    /// The rule that decided.
    pub reason: String,
    /// Each policy statement evaluated and its verdict.
    pub trace: Vec<String>,
}

/// One scenario's outcome: what `run` prints for people, and (serialized) the JSON
/// object `run --json` prints.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The path as given on the command line.
    pub path: String,
    /// The scenario's description.
    pub description: String,
    /// The connection form as the scenario typed it.
    pub form: ConnectionForm,
    /// What the connector found.
    pub report: ConnectionReport,
    /// Requests the simulator answered, by operation (retries included), but for those
    /// answered 503 SlowDown by a fault that depends on time ([`Self::throttled`]).
    pub requests: BTreeMap<String, u64>,
    /// Bucket policies the scenario gives that S3's PutBucketPolicy would refuse; those
    /// buckets were served without a policy.
    pub rejected_policies: Vec<RejectedPolicy>,
    /// Requests the simulator denied, each once, with the evaluation that denied it.
    pub denials: Vec<Denial>,
    /// Requests the fault layer answered with a retryable error.
    pub injected_faults: usize,
    /// When the scenario has faults that depend on time (`[[faults.burst]]`,
    /// `[faults.request_rate]`): how many requests they answered 503 SlowDown. Unlike
    /// everything else in a run, this varies from run to run.
    pub throttled: Option<u64>,
    /// The scenario's `[expect]` checked against the outcome, when it has one.
    pub expectations: Option<Expectations>,
}

impl ScenarioRun {
    /// The JSON object `run --json` prints (docs/cli.md describes its fields).
    pub fn to_json(&self) -> Value {
        let status = match self.report.status {
            ConnectionStatus::Active => "active",
            ConnectionStatus::Failed => "failed",
        };
        let mut v = serde_json::json!({
            "scenario": self.path,
            "description": self.description,
            "connection": { "status": status },
            "tables": self.report.tables,
            "skipped": self
                .report
                .skipped_tables
                .iter()
                .map(|t| serde_json::json!({
                    "name": t.name,
                    "prefix": t.prefix,
                    "reason": t.code,
                    "files": t.files.len(),
                }))
                .collect::<Vec<_>>(),
            "ignored": self.report.ignored,
            "diagnostics": self.report.diagnostics,
            "requests": self.requests,
        });
        if self.injected_faults > 0 {
            v["injected_faults"] = self.injected_faults.into();
        }
        if let Some(n) = self.throttled {
            v["throttled"] = n.into();
        }
        if !self.denials.is_empty() {
            v["denied_requests"] = serde_json::to_value(&self.denials).unwrap_or(Value::Null);
        }
        if !self.rejected_policies.is_empty() {
            v["rejected_policies"] = serde_json::to_value(&self.rejected_policies).unwrap_or(Value::Null);
        }
        if let Some(e) = &self.expectations {
            v["expect"] = serde_json::to_value(e).unwrap_or(Value::Null);
        }
        v
    }
}

/// The same fields, in the same order, as [`ScenarioRun::to_json`].
impl Serialize for ScenarioRun {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// How `run` drives the connector.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The connector's retries and timeouts (tests turn the backoff off).
    pub retry: RetryOptions,
}

/// The platform reader's client for `sim`, as a connector reaches S3: over HTTPS,
/// trusting the CA that signed the endpoint's certificate; or with the `http://` endpoint
/// a user may have configured.
pub(crate) fn platform_client(sim: &Simulator, scenario: &Scenario, region: &str) -> aws_sdk_s3::Client {
    let platform = &scenario.platform;
    match sim.ca_pem() {
        Some(ca) => client_trusting(sim.endpoint(), ca, &platform.access_key, &platform.secret_key, region),
        None => client(sim.endpoint(), &platform.access_key, &platform.secret_key, region),
    }
}

/// A scenario's world served in process, and a connector signed in as its platform
/// reader: what `run`, `preview` and `import` start from.
pub(crate) struct Platform {
    pub sim: Simulator,
    pub connector: Connector,
    pub spec: ConnectionForm,
    pub rejected_policies: Vec<RejectedPolicy>,
}

/// Serves `scenario` (with its faults and transport) and builds the platform reader's
/// connector. `log_capacity` is how many request records the simulator keeps.
pub(crate) async fn start_platform(
    path: &str,
    scenario: &Scenario,
    options: &RunOptions,
    log_capacity: usize,
) -> Result<Platform, Error> {
    let spec = scenario
        .connection
        .clone()
        .ok_or_else(|| Error::NoConnection(path.into()))?;
    let (world, rejected_policies) = World::from_scenario(scenario).map_err(|source| Error::World {
        path: Some(path.into()),
        source,
    })?;
    let opts = ServerOptions {
        faults: scenario.faults.as_ref().map(FaultConfig::from),
        request_log_capacity: log_capacity,
        tls: scenario.simulator.transport == Transport::Https,
        ..ServerOptions::default()
    };
    let addr = opts.addr;
    let sim = Simulator::start_with(world, opts)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let platform = &scenario.platform;
    let connector = Connector::new(
        platform_client(&sim, scenario, &spec.region),
        ConnectorOptions {
            // Faults are drawn per request identity, not per arrival, so the report is
            // the same on every run at any concurrency.
            concurrency: 16,
            platform: Some((platform.account.clone(), platform.role.clone())),
            retry: options.retry.clone(),
            inventory: platform.inventory.clone(),
            ..ConnectorOptions::default()
        },
    );
    Ok(Platform {
        sim,
        connector,
        spec,
        rejected_policies,
    })
}

/// Runs one loaded scenario; `path` is how reports name it.
pub async fn run_scenario(path: &str, scenario: &Scenario) -> Result<ScenarioRun, Error> {
    run_scenario_with(path, scenario, &RunOptions::default()).await
}

/// [`run_scenario`], driving the connector as `options` say.
pub async fn run_scenario_with(path: &str, scenario: &Scenario, options: &RunOptions) -> Result<ScenarioRun, Error> {
    let Platform {
        sim,
        connector,
        spec,
        rejected_policies,
    } = start_platform(path, scenario, options, usize::MAX).await?;
    let form: ConnectionForm = spec.clone();
    let report = connector.connect(&form).await;
    // Requests throttled by bursts or a request rate are left out of the counts, which
    // then stay the same on every run: the connector retries each of them, and its
    // retry meets the fault it would have met unthrottled.
    let requests = sim.requests().counts_without_timed_faults();
    let injected_faults = usize::try_from(sim.requests().injected_faults()).unwrap_or(usize::MAX);
    let throttled = scenario
        .faults
        .as_ref()
        .filter(|f| f.has_timed())
        .map(|_| sim.requests().timed_faults());
    let mut denials: Vec<Denial> = Vec::new();
    for r in sim.requests().snapshot() {
        if r.decision != Some(Decision::Deny) {
            continue;
        }
        let denial = Denial {
            operation: r.operation.clone().unwrap_or_default(),
            resource: match (&r.bucket, &r.key) {
                (Some(b), Some(k)) => format!("{b}/{k}"),
                (Some(b), None) => b.clone(),
                _ => String::new(),
            },
            reason: r.reason.clone().unwrap_or_default(),
            trace: r.trace.iter().map(ToString::to_string).collect(),
        };
        // Retries and repeated reads are the same denial.
        if !denials
            .iter()
            .any(|d| d.operation == denial.operation && d.resource == denial.resource)
        {
            denials.push(denial);
        }
    }
    // Rows are read after the requests are counted: the report is discovery's.
    let rows = match &scenario.expect {
        Some(e) if e.reads_rows() => Some(count_rows(&connector, &report).await),
        _ => None,
    };
    sim.shutdown().await;
    let expectations = scenario
        .expect
        .as_ref()
        .map(|e| expect::check(e, &report, rows.as_ref()));
    Ok(ScenarioRun {
        path: path.to_owned(),
        description: scenario.description.clone(),
        form,
        report,
        requests,
        rejected_policies,
        denials,
        injected_faults,
        throttled,
        expectations,
    })
}

/// Every imported table read to the end as `import --on-bad-row skip` reads it: the rows
/// read and the rows kept out, summed.
async fn count_rows(connector: &Connector, report: &ConnectionReport) -> expect::RowCounts {
    let mut counted = expect::Counted::default();
    let Some(config) = report.config.as_ref() else {
        return Ok(counted);
    };
    for table in &report.tables {
        let options = ReadOptions {
            on_bad_row: BadRowPolicy::Skip,
            ..ReadOptions::default()
        };
        let mut rows = connector
            .read_table(config, table, options)
            .await
            .map_err(|e| format!("table `{}`: {e}", table.name))?;
        while let Some(batch) = rows.next_batch().await {
            batch.map_err(|e| format!("table `{}`: {e}", table.name))?;
        }
        let stats = rows.stats();
        counted.rows += stats.rows;
        counted.bad_rows += stats.bad_rows;
    }
    Ok(counted)
}

/// Loads and runs the scenario file at `path`: its world is served in process, the
/// connector validates the connection and discovers tables over HTTPS (or HTTP, as
/// the scenario's `[simulator] transport` says) as the platform reader, and the outcome is what `s3-harness run` reports.
pub async fn run_scenario_file(path: impl AsRef<Path>) -> Result<ScenarioRun, Error> {
    run_scenario_file_with(path, &LoadOptions::default()).await
}

/// [`run_scenario_file`], loading the scenario as `options` say.
pub async fn run_scenario_file_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<ScenarioRun, Error> {
    let path = path.as_ref();
    let scenario = load_scenario_with(path, options)?;
    run_scenario(&path.display().to_string(), &scenario).await
}
