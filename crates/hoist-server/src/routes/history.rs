//! Reading the history: run lists, one run's full record, a job's logs. The same rows the
//! local `hoist runs` reads, so that the CLI prints remote runs exactly as local ones.

use axum::Json;
use axum::extract::{Path, Query, State};
use hoist_store::{Role, RunFilter, RunRow};

use crate::api_error::ApiError;
use crate::auth::Caller;
use crate::state::SharedState;
use crate::wire::{LogPart, RunQuery, RunRecord};

pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<RunQuery>,
) -> Result<Json<Vec<RunRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    Ok(Json(
        state.store().list_runs(&filter(query, None, &caller))?,
    ))
}

pub(crate) async fn list_of_repo(
    State(state): State<SharedState>,
    caller: Caller,
    Path(repo): Path<String>,
    Query(query): Query<RunQuery>,
) -> Result<Json<Vec<RunRow>>, ApiError> {
    caller.require(Role::Viewer)?;
    caller.require_repo(&repo)?;
    if state.repo(&repo).is_none() {
        return Err(ApiError::not_found(format!("no repository `{repo}`")));
    }
    Ok(Json(state.store().list_runs(&filter(
        query,
        Some(repo),
        &caller,
    ))?))
}

/// The runs asked for, among those the caller may see.
fn filter(query: RunQuery, repo: Option<String>, caller: &Caller) -> RunFilter {
    RunFilter {
        workflow: query.workflow,
        status: query.status,
        branch: query.branch,
        event: query.event,
        sha: query.sha,
        repo,
        repos: caller.repos.clone(),
        limit: query.limit.unwrap_or(20).clamp(1, 1000),
    }
}

pub(crate) async fn record(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<RunRecord>, ApiError> {
    let store = state.store();
    let run = store.run(id)?;
    caller.require_for_run(Role::Viewer, &run)?;
    let deployments = store
        .deployments_of_run(id)?
        .into_iter()
        .filter(|d| i64::from(d.attempt) == run.attempt.max(1))
        .collect();
    Ok(Json(RunRecord {
        run,
        deployments,
        jobs: store.jobs(id)?,
        annotations: store.annotations(id)?,
        artifacts: store.artifacts(id)?,
        objects: store.run_objects(id)?,
        concurrency: crate::wire::GroupView::of(store.groups_of_run(id)?),
    }))
}

pub(crate) async fn logs(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, job)): Path<(i64, String)>,
) -> Result<Json<Vec<LogPart>>, ApiError> {
    let store = state.store();
    caller.require_for_run(Role::Viewer, &store.run(id)?)?;
    let jobs = store.jobs(id)?;
    let Some(row) = jobs.iter().find(|j| j.key == job || j.job_id == job) else {
        let names: Vec<String> = jobs.iter().map(|j| format!("`{}`", j.key)).collect();
        return Err(ApiError::not_found(format!(
            "run {id} has no job `{job}` (it has {})",
            names.join(", ")
        )));
    };
    // The server keeps logs in its database; object storage is not configured for it yet.
    let storages = hoist_storage::StorageCatalog::new(Default::default());
    let parts = store
        .job_log(row, &storages)?
        .into_iter()
        .map(|(step, text)| LogPart { step, text })
        .collect();
    Ok(Json(parts))
}

/// Where a log stream has got to: lines sent per part of the job's log (`job`, or a step's
/// index). It is each event's id, so a client that reconnects with `Last-Event-ID` gets
/// exactly the lines it has not seen: every part only ever grows.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Cursor(std::collections::BTreeMap<String, usize>);

impl Cursor {
    pub(crate) fn parse(text: &str) -> Self {
        Self(
            text.split(',')
                .filter_map(|pair| pair.split_once('='))
                .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
                .collect(),
        )
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn part_key(step: Option<i64>) -> String {
    step.map_or_else(|| "job".to_owned(), |s| format!("s{s}"))
}

/// `GET /api/v1/runs/{id}/jobs/{job}/logs/stream`: the job's log lines as Server-Sent
/// Events (`data`: `{"step", "step_name", "line"}`), as they come, then an `end` event once
/// the job has finished. Resumes after `Last-Event-ID`.
pub(crate) async fn stream(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, job)): Path<(i64, String)>,
    headers: axum::http::HeaderMap,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    ApiError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    // The run must exist; its job may not be recorded yet (a stream opened right after the
    // dispatch), and is waited for.
    let run = state.store().run(id)?;
    caller.require_for_run(Role::Viewer, &run)?;
    let cursor = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(Cursor::parse)
        .unwrap_or_default();
    let pending: std::collections::VecDeque<Event> = std::collections::VecDeque::new();
    let stream = futures_util::stream::unfold(
        (cursor, pending, false),
        move |(mut cursor, mut pending, mut ended)| {
            let (state, job) = (state.clone(), job.clone());
            let storages = hoist_storage::StorageCatalog::new(Default::default());
            async move {
                loop {
                    if let Some(event) = pending.pop_front() {
                        return Some((Ok(event), (cursor, pending, ended)));
                    }
                    if ended {
                        return None;
                    }
                    let snapshot = {
                        let store = state.store();
                        let run_done = store.run(id).is_ok_and(|r| r.status == "completed");
                        let found = store.jobs(id).ok().and_then(|jobs| {
                            let row = jobs.into_iter().find(|j| j.key == job || j.job_id == job)?;
                            let log = store.job_log(&row, &storages).ok()?;
                            Some((row, log))
                        });
                        (run_done, found)
                    };
                    let (row, log) = match snapshot {
                        (_, Some(found)) => found,
                        // The run ended without this job: nothing will come.
                        (true, None) => {
                            ended = true;
                            pending.push_back(Event::default().event("end").data(""));
                            continue;
                        }
                        (false, None) => {
                            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                            continue;
                        }
                    };
                    for (step, text) in log {
                        let key = part_key(step);
                        let seen = cursor.0.get(&key).copied().unwrap_or(0);
                        let name = step
                            .and_then(|i| row.steps.iter().find(|s| s.index == i))
                            .map_or("Set up job".to_owned(), |s| s.name.clone());
                        for line in text.lines().skip(seen) {
                            *cursor.0.entry(key.clone()).or_insert(0) += 1;
                            let data =
                                serde_json::json!({"step": step, "step_name": name, "line": line});
                            pending.push_back(
                                Event::default().id(cursor.render()).data(data.to_string()),
                            );
                        }
                    }
                    if row.status == "completed" {
                        ended = true;
                        pending.push_back(
                            Event::default()
                                .event("end")
                                .id(cursor.render())
                                .data(row.conclusion.clone().unwrap_or_default()),
                        );
                        continue;
                    }
                    if pending.is_empty() {
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
