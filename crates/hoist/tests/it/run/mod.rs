//! `hoist run` and `hoist runs`: real git repositories, real processes, a real SQLite file.

mod actions;
mod features;
mod interrupts;
mod jobs;
mod selection;

use serde_json::Value;

pub(crate) fn job<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == name || j["key"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {run:#}"))
}

pub(crate) fn conclusion(run: &Value, job_name: &str) -> String {
    job(run, job_name)["conclusion"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn step_conclusions(run: &Value, job_name: &str) -> Vec<String> {
    job(run, job_name)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["conclusion"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) fn run_id(run: &Value) -> i64 {
    run["run"]["id"].as_i64().unwrap()
}
