//! Where `hoist runs` reads the history: this machine's store, or a server (`--server`,
//! `HOIST_SERVER`). One small trait, so that remote runs print exactly as local ones.

use hoist_server::RunRecord;
use hoist_store::{JobRow, RunFilter, RunRow, Store};

/// A history to read runs from.
pub(crate) trait History {
    /// Runs, newest first.
    fn list_runs(&self, filter: &RunFilter) -> anyhow::Result<Vec<RunRow>>;
    /// A run with its jobs, steps, annotations and artifacts.
    fn record(&self, id: i64) -> anyhow::Result<RunRecord>;
    /// A job's log by step (`None`: the job's own lines).
    fn job_log(&self, run: i64, job: &JobRow) -> anyhow::Result<Vec<(Option<i64>, String)>>;
}

/// The store on this machine.
pub(crate) struct LocalHistory {
    pub(crate) store: Store,
    pub(crate) storages: hoist_storage::StorageCatalog,
}

impl History for LocalHistory {
    fn list_runs(&self, filter: &RunFilter) -> anyhow::Result<Vec<RunRow>> {
        Ok(self.store.list_runs(filter)?)
    }

    fn record(&self, id: i64) -> anyhow::Result<RunRecord> {
        Ok(RunRecord {
            run: self.store.run(id)?,
            jobs: self.store.jobs(id)?,
            annotations: self.store.annotations(id)?,
            artifacts: self.store.artifacts(id)?,
            objects: self.store.run_objects(id)?,
            concurrency: hoist_server::GroupView::of(self.store.groups_of_run(id)?),
            deployments: self.store.deployments_of_run(id)?,
        })
    }

    fn job_log(&self, _run: i64, job: &JobRow) -> anyhow::Result<Vec<(Option<i64>, String)>> {
        Ok(self.store.job_log(job, &self.storages)?)
    }
}

/// A server's history, through its API.
pub(crate) struct RemoteHistory {
    pub(crate) client: hoist_server::Client,
    pub(crate) runtime: tokio::runtime::Runtime,
}

impl History for RemoteHistory {
    fn list_runs(&self, filter: &RunFilter) -> anyhow::Result<Vec<RunRow>> {
        let query = hoist_server::RunQuery {
            workflow: filter.workflow.clone(),
            status: filter.status.clone(),
            branch: filter.branch.clone(),
            event: filter.event.clone(),
            sha: filter.sha.clone(),
            limit: Some(filter.limit),
        };
        Ok(self
            .runtime
            .block_on(self.client.runs(filter.repo.as_deref(), &query))?)
    }

    fn record(&self, id: i64) -> anyhow::Result<RunRecord> {
        Ok(self.runtime.block_on(self.client.record(id))?)
    }

    fn job_log(&self, run: i64, job: &JobRow) -> anyhow::Result<Vec<(Option<i64>, String)>> {
        let parts = self.runtime.block_on(self.client.logs(run, &job.key))?;
        Ok(parts.into_iter().map(|p| (p.step, p.text)).collect())
    }
}
