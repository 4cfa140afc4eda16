//! `s3-harness run` (CONTRACTS section 2): each scenario's world served in process, the
//! connector run against it over real HTTP as the platform reader, and a report.

mod fold;
pub mod render;

use std::collections::BTreeMap;
use std::path::Path;

use s3_connector::config::ConnectionForm;
use s3_connector::connector::{ConnectionReport, ConnectionStatus, Connector, ConnectorOptions};
use serde::Serialize;
use serde_json::Value;

use crate::scenario::{Scenario, load_scenario};
use crate::sim::server::client;
use crate::{Simulator, World};

/// Why a scenario could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    #[error("{path}: {source}")]
    World {
        path: String,
        #[source]
        source: crate::sim::world::WorldError,
    },
    #[error("{0}: the scenario has no [connection] to run")]
    NoConnection(String),
    #[error("{path}: cannot start the simulator: {source}")]
    Server {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A bucket policy the scenario gives and S3 refuses to save.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedPolicy {
    pub bucket: String,
    pub code: &'static str,
    pub message: String,
}

/// A request the simulator denied, and why (from its policy evaluation).
#[derive(Debug, Clone, Serialize)]
pub struct Denial {
    pub operation: String,
    pub resource: String,
    pub reason: String,
    pub trace: Vec<String>,
}

/// One scenario's outcome.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// The path as given on the command line.
    pub path: String,
    pub description: String,
    pub form: ConnectionForm,
    pub report: ConnectionReport,
    /// Requests the simulator answered, by operation (retries included).
    pub requests: BTreeMap<String, u64>,
    pub rejected_policies: Vec<RejectedPolicy>,
    /// Requests the simulator denied, each once, with the evaluation that denied it.
    pub denials: Vec<Denial>,
    /// Requests the fault layer answered with a retryable error.
    pub injected_faults: usize,
}

impl ScenarioRun {
    /// The JSON object CONTRACTS section 2 describes.
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
            "ignored": self.report.ignored,
            "diagnostics": self.report.diagnostics,
            "requests": self.requests,
        });
        if self.injected_faults > 0 {
            v["injected_faults"] = self.injected_faults.into();
        }
        if !self.denials.is_empty() {
            v["denied_requests"] = serde_json::to_value(&self.denials).unwrap_or(Value::Null);
        }
        if !self.rejected_policies.is_empty() {
            v["rejected_policies"] = serde_json::to_value(&self.rejected_policies).unwrap_or(Value::Null);
        }
        v
    }
}

/// Runs one loaded scenario.
pub async fn run_scenario(path: &str, scenario: &Scenario) -> Result<ScenarioRun, RunError> {
    let spec = scenario
        .connection
        .clone()
        .ok_or_else(|| RunError::NoConnection(path.to_owned()))?;
    let world = World::from_scenario(scenario).map_err(|source| RunError::World {
        path: path.to_owned(),
        source,
    })?;
    let rejected_policies = world
        .rejected_policies
        .iter()
        .map(|r| RejectedPolicy {
            bucket: r.bucket.clone(),
            code: r.error.code,
            message: r.error.to_string(),
        })
        .collect();
    // With faults injected, one request at a time keeps each request's fate (and so
    // the report) the same on every run.
    let concurrency = if world.faults.is_some() { 1 } else { 16 };
    let platform = scenario.platform.clone();
    let sim = Simulator::start(world).await.map_err(|source| RunError::Server {
        path: path.to_owned(),
        source,
    })?;
    let s3 = client(sim.endpoint(), &platform.access_key, &platform.secret_key, &spec.region);
    let connector = Connector::new(
        s3,
        ConnectorOptions {
            concurrency,
            platform: Some((platform.account.clone(), platform.role.clone())),
            ..ConnectorOptions::default()
        },
    );
    let form: ConnectionForm = spec.clone();
    let report = connector.connect(&form).await;
    let requests = sim.requests().counts();
    let injected_faults = sim.requests().snapshot().iter().filter(|r| r.injected_fault).count();
    let mut denials: Vec<Denial> = Vec::new();
    for r in sim.requests().snapshot() {
        if r.decision != Some(crate::sim::request_log::Decision::Deny) {
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
            trace: r.trace.clone(),
        };
        // Retries and repeated reads are the same denial.
        if !denials
            .iter()
            .any(|d| d.operation == denial.operation && d.resource == denial.resource)
        {
            denials.push(denial);
        }
    }
    sim.shutdown().await;
    Ok(ScenarioRun {
        path: path.to_owned(),
        description: scenario.description.clone(),
        form,
        report,
        requests,
        rejected_policies,
        denials,
        injected_faults,
    })
}

/// Loads and runs the scenario at `path`.
pub async fn run_path(path: &Path) -> Result<ScenarioRun, RunError> {
    let scenario = load_scenario(path)?;
    run_scenario(&path.display().to_string(), &scenario).await
}
