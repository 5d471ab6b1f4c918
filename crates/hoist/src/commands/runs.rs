//! `hoist runs list | view | rerun`: the run history, like `gh run`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use hoist_engine::Conclusion;
use hoist_store::{JobRow, RunFilter, RunRow, Store};
use indexmap::IndexMap;

use crate::cli::{RunsArgs, RunsCommand};
use crate::clock::{ago, now_ms};
use crate::commands::Outcome;
use crate::commands::run::{Invocation, Rerun, RunOptions, execute, open_store};
use crate::config::Config;
use crate::history::{History, LocalHistory, RemoteHistory};
use crate::output;
use crate::project::find_project;
use crate::view::{Verbosity, format_duration};

pub(crate) fn run(args: &RunsArgs) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = find_project(&cwd).ok();
    let (config, _) = Config::load(args.config.as_deref(), project.as_deref())?;
    // Reviews exist only on a server: without `--server`, the one on this machine.
    if let RunsCommand::Approve { id, envs, comment } | RunsCommand::Reject { id, envs, comment } =
        &args.command
    {
        let approve = matches!(args.command, RunsCommand::Approve { .. });
        return review(args, *id, envs, comment, approve);
    }
    if let Some(server) = &args.server {
        let history = RemoteHistory {
            client: crate::remote::client(Some(server), args.token.as_deref())?,
            runtime: crate::remote::runtime()?,
        };
        return match &args.command {
            RunsCommand::List { .. } | RunsCommand::View { .. } | RunsCommand::Watch { .. } => {
                read(&history, args)
            }
            RunsCommand::Cancel { id } => {
                history.runtime.block_on(history.client.cancel(*id))?;
                output::stderr(&format!("run {id} is being cancelled\n"));
                Ok(Outcome::Success)
            }
            RunsCommand::Rerun { id, failed, quiet } => {
                let answer = history
                    .runtime
                    .block_on(history.client.rerun(*id, *failed))?;
                if !quiet {
                    output::stdout(&format!(
                        "run {} (a new attempt of run {id}{}) queued: {}\n",
                        answer.workflow_run_id,
                        if *failed { ", failed jobs only" } else { "" },
                        answer.run_url
                    ));
                }
                crate::remote::follow_run(
                    &history.runtime,
                    &history.client,
                    answer.workflow_run_id,
                    false,
                )
            }
            RunsCommand::Download { .. } => bail!(
                "`hoist runs download` works on this machine's history only, not yet with `--server`"
            ),
            RunsCommand::Approve { .. } | RunsCommand::Reject { .. } => {
                unreachable!("handled above")
            }
        };
    }
    let store = open_store(&config)?;
    if matches!(
        args.command,
        RunsCommand::List { .. } | RunsCommand::View { .. } | RunsCommand::Watch { .. }
    ) {
        let history = LocalHistory {
            store,
            storages: hoist_storage::StorageCatalog::new(config.storage_settings()),
        };
        return read(&history, args);
    }
    match &args.command {
        RunsCommand::List { .. } | RunsCommand::View { .. } | RunsCommand::Watch { .. } => {
            unreachable!("handled above")
        }
        RunsCommand::Download { id, name, dir } => {
            let storages = hoist_storage::StorageCatalog::new(config.storage_settings());
            download(&store, &storages, *id, name, dir)
        }
        RunsCommand::Rerun { id, failed, quiet } => {
            rerun(&store, *id, *failed, *quiet, args.config.clone())
        }
        RunsCommand::Cancel { id } => cancel_local(&store, *id),
        RunsCommand::Approve { .. } | RunsCommand::Reject { .. } => unreachable!("handled above"),
    }
}

/// `hoist runs approve | reject`: answers what run `id` waits on at `envs`.
fn review(
    args: &RunsArgs,
    id: i64,
    envs: &[String],
    comment: &str,
    approve: bool,
) -> anyhow::Result<Outcome> {
    let client = crate::remote::client(args.server.as_deref(), args.token.as_deref())?;
    let runtime = crate::remote::runtime()?;
    let body = hoist_server::ReviewRequest {
        environments: envs.to_vec(),
        state: if approve { "approved" } else { "rejected" }.to_owned(),
        comment: comment.to_owned(),
        ..hoist_server::ReviewRequest::default()
    };
    let answered = runtime.block_on(client.review_deployments(id, &body))?;
    let jobs: Vec<String> = answered
        .iter()
        .map(|d| format!("`{}` to `{}`", d.job_key, d.environment))
        .collect();
    output::stderr(&format!(
        "run {id}: {} {}\n",
        if approve { "approved" } else { "rejected" },
        jobs.join(", ")
    ));
    Ok(Outcome::Success)
}

/// Cancels a run of this machine: its `hoist run` gets SIGTERM, which cancels as Ctrl-C does.
fn cancel_local(store: &Store, id: i64) -> anyhow::Result<Outcome> {
    let run = store.run(id)?;
    let Some(pid) = store.run_owner(id)? else {
        bail!(
            "run {id} is not in progress ({})",
            run.conclusion.unwrap_or(run.status)
        );
    };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .with_context(|| format!("cannot signal the `hoist run` of run {id} (process {pid})"))?;
    output::stderr(&format!("run {id} is being cancelled (process {pid})\n"));
    Ok(Outcome::Success)
}

/// The commands that only read: the same for this machine's history and a server's.
fn read(history: &dyn History, args: &RunsArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        RunsCommand::List {
            workflow,
            status,
            branch,
            event,
            commit,
            limit,
            json,
        } => {
            let filter = RunFilter {
                workflow: workflow.clone(),
                status: status.clone(),
                branch: branch.clone(),
                event: event.clone(),
                sha: commit.clone(),
                repo: args.repo.clone(),
                repos: None,
                limit: *limit,
            };
            let runs = history.list_runs(&filter)?;
            if *json {
                output::stdout(&format!("{}\n", serde_json::to_string_pretty(&runs)?));
            } else {
                output::stdout(&list_table(&runs));
            }
            Ok(Outcome::Success)
        }
        RunsCommand::View {
            id,
            log,
            log_failed,
            job,
            json,
        } => view(history, *id, *log, *log_failed, job.as_deref(), *json),
        RunsCommand::Watch { id, exit_status } => watch(history, *id, *exit_status),
        RunsCommand::Download { .. }
        | RunsCommand::Rerun { .. }
        | RunsCommand::Cancel { .. }
        | RunsCommand::Approve { .. }
        | RunsCommand::Reject { .. } => {
            unreachable!("not a reading command")
        }
    }
}

/// Prints a run's new log lines until it completes.
fn watch(history: &dyn History, id: i64, exit_status: bool) -> anyhow::Result<Outcome> {
    // Lines printed so far, per job and step.
    let mut printed: std::collections::HashMap<(String, Option<i64>), usize> =
        std::collections::HashMap::new();
    loop {
        let record = history.record(id)?;
        let done = record.run.status == "completed";
        for j in &record.jobs {
            for (step, text) in history.job_log(id, j)? {
                let seen = printed.entry((j.key.clone(), step)).or_insert(0);
                let label = step
                    .and_then(|i| j.steps.iter().find(|s| s.index == i))
                    .map_or("Set up job", |s| s.name.as_str());
                for line in text.lines().skip(*seen) {
                    output::stdout(&format!("{}\t{label}\t{line}\n", j.name));
                    *seen += 1;
                }
            }
        }
        if done {
            let conclusion = record.run.conclusion.clone().unwrap_or_default();
            output::stderr(&format!("run {id}: {conclusion}\n"));
            return Ok(if exit_status && conclusion != "success" {
                Outcome::Failure
            } else {
                Outcome::Success
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

fn mark(run: &RunRow) -> &'static str {
    match (run.status.as_str(), run.conclusion.as_deref()) {
        ("in_progress", _) => "*",
        (_, Some("success")) => "✓",
        (_, Some("failure")) => "✗",
        (_, Some("cancelled")) => "⊘",
        (_, Some("interrupted")) => "!",
        _ => "?",
    }
}

fn span(start: Option<i64>, end: Option<i64>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => {
            format_duration(std::time::Duration::from_millis((e - s).max(0) as u64))
        }
        (Some(s), None) => format!(
            "{} so far",
            format_duration(std::time::Duration::from_millis(
                (now_ms() - s).max(0) as u64
            ))
        ),
        _ => "-".to_owned(),
    }
}

fn list_table(runs: &[RunRow]) -> String {
    if runs.is_empty() {
        return "no runs yet; start one with `hoist run`\n".to_owned();
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                format!(
                    "{} {}",
                    mark(r),
                    r.conclusion.clone().unwrap_or_else(|| r.status.clone())
                ),
                format!(
                    "{} #{}{}",
                    r.workflow_name,
                    r.number,
                    if r.attempt > 1 {
                        format!(" (attempt {})", r.attempt)
                    } else {
                        String::new()
                    }
                ),
                r.branch.clone(),
                r.event.clone(),
                r.sha.chars().take(7).collect(),
                ago(r.created_at),
                span(r.started_at, r.finished_at),
            ]
            .into()
        })
        .collect();
    let header = [
        "ID", "STATUS", "WORKFLOW", "BRANCH", "EVENT", "SHA", "STARTED", "DURATION",
    ];
    crate::table::render(&header, &rows)
}

fn job_matches(job: &JobRow, filter: Option<&str>) -> bool {
    filter.is_none_or(|f| job.job_id == f || job.key == f || job.name == f)
}

fn view(
    history: &dyn History,
    id: i64,
    log: bool,
    log_failed: bool,
    job: Option<&str>,
    json: bool,
) -> anyhow::Result<Outcome> {
    let record = history.record(id)?;
    let run = &record.run;
    let jobs: Vec<&JobRow> = record.jobs.iter().filter(|j| job_matches(j, job)).collect();
    if let Some(f) = job
        && jobs.is_empty()
    {
        let names: Vec<&str> = record.jobs.iter().map(|j| j.key.as_str()).collect();
        bail!("run {id} has no job `{f}` (it has: {})", names.join(", "));
    }
    if json {
        let value = serde_json::json!({
            "run": run,
            "jobs": jobs,
            "annotations": record.annotations,
            "artifacts": record.artifacts,
            "objects": record.objects,
            "concurrency": record.concurrency,
        });
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&value)?));
        return Ok(Outcome::Success);
    }
    if log || log_failed {
        let mut out = String::new();
        for j in &jobs {
            for (step, text) in history.job_log(id, j)? {
                let step_row = step.and_then(|i| j.steps.iter().find(|s| s.index == i));
                let failed = match step_row {
                    Some(s) => s.outcome.as_deref() == Some("failure"),
                    None => j.conclusion.as_deref() == Some("failure") && !text.is_empty(),
                };
                if log_failed && !failed {
                    continue;
                }
                let label = step_row.map_or("Set up job", |s| s.name.as_str());
                for l in text.lines() {
                    out.push_str(&format!("{}\t{}\t{l}\n", j.name, label));
                }
            }
        }
        if out.is_empty() && log_failed {
            out.push_str(&format!("run {id} has no failed steps\n"));
        }
        output::stdout(&out);
        return Ok(Outcome::Success);
    }
    let mut out = format!(
        "{} {} #{} · run {}{}\n{} on {} ({}) by {} · {} · {}\n",
        mark(run),
        run.workflow_name,
        run.number,
        run.id,
        if run.attempt > 1 {
            format!(" (attempt {})", run.attempt)
        } else {
            String::new()
        },
        run.event,
        run.branch,
        run.sha.chars().take(7).collect::<String>(),
        run.actor,
        run.conclusion.clone().unwrap_or_else(|| run.status.clone()),
        span(run.started_at, run.finished_at),
    );
    if !record.concurrency.is_empty() {
        out.push_str("\nCONCURRENCY\n");
        for g in &record.concurrency {
            let who = g
                .job
                .as_deref()
                .map_or("run".to_owned(), |j| format!("job {j}"));
            let state = match (g.state.as_str(), &g.reason) {
                ("pending", _) => "waiting for the running member to finish".to_owned(),
                ("cancelled", Some(reason)) => format!("cancelled: {reason}"),
                (s, _) => s.to_owned(),
            };
            out.push_str(&format!("  {who} in group `{}`: {state}\n", g.group));
        }
    }
    if !record.deployments.is_empty() {
        out.push_str("\nDEPLOYMENTS\n");
        for d in &record.deployments {
            let last = d.statuses.last().map_or("", |s| s.description.as_str());
            let hint = if d.state == "waiting" {
                format!(
                    "; answer with `hoist runs approve {} --env {}` (or `reject`)",
                    run.id, d.environment
                )
            } else {
                String::new()
            };
            let url = d.url.as_deref().map_or(String::new(), |u| format!(" {u}"));
            out.push_str(&format!(
                "  {} → {}: {} ({last}){url}{hint}\n",
                d.job_key, d.environment, d.state
            ));
            for r in &d.reviews {
                let comment = if r.comment.is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.comment)
                };
                out.push_str(&format!(
                    "    {} by {} {}{comment}\n",
                    r.state,
                    r.reviewer,
                    crate::clock::ago(r.at)
                ));
            }
        }
    }
    out.push_str("\nJOBS\n");
    for j in &jobs {
        let waiting = record
            .deployments
            .iter()
            .any(|d| d.job_key == j.key && d.state == "waiting");
        let c = if waiting {
            "waiting".to_owned()
        } else {
            j.conclusion.clone().unwrap_or_else(|| j.status.clone())
        };
        out.push_str(&format!(
            "  {} {} ({})\n",
            job_mark(&c),
            j.name,
            if c == "skipped" {
                c.clone()
            } else {
                format!("{c}, {}", span(j.started_at, j.finished_at))
            }
        ));
        for s in &j.steps {
            let c = s.conclusion.clone().unwrap_or_else(|| s.status.clone());
            let exit = match (s.outcome.as_deref(), s.exit_code) {
                (Some("failure"), Some(code)) => format!(", exit code {code}"),
                _ => String::new(),
            };
            out.push_str(&format!("      {} {} ({c}{exit})\n", job_mark(&c), s.name));
        }
    }
    let annotations = &record.annotations;
    if !annotations.is_empty() {
        out.push_str("\nANNOTATIONS\n");
        for a in annotations {
            let at = match (&a.file, a.line) {
                (Some(f), Some(l)) => format!(" {f}:{l}"),
                (Some(f), None) => format!(" {f}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {}{at}: {} ({})\n",
                a.level,
                a.message,
                a.job.as_deref().unwrap_or_default()
            ));
        }
    }
    let artifacts = &record.artifacts;
    if !artifacts.is_empty() {
        out.push_str("\nARTIFACTS\n");
        for a in artifacts {
            out.push_str(&format!(
                "  {} ({} bytes, from {}){}\n",
                a.name,
                a.size,
                a.job.as_deref().unwrap_or_default(),
                a.url
                    .as_ref()
                    .map(|u| format!(" at {u}"))
                    .unwrap_or_default()
            ));
        }
    }
    if run.conclusion.as_deref() == Some("failure") {
        out.push_str(&format!(
            "\nFor the logs of failed steps: hoist runs view {id} --log-failed\n"
        ));
    }
    output::stdout(&out);
    Ok(Outcome::Success)
}

fn job_mark(conclusion: &str) -> &'static str {
    match conclusion {
        "success" => "✓",
        "failure" => "✗",
        "cancelled" => "⊘",
        "skipped" => "-",
        "interrupted" => "!",
        _ => "*",
    }
}

fn rerun(
    store: &Store,
    id: i64,
    failed: bool,
    quiet: bool,
    config: Option<PathBuf>,
) -> anyhow::Result<Outcome> {
    let run = store.run(id)?;
    if run.status == "in_progress" {
        bail!("run {id} is still in progress");
    }
    let inv: Invocation = serde_json::from_value(run.request.clone())
        .with_context(|| format!("run {id} was recorded by an older Hoist and cannot be rerun"))?;
    let mut inv = inv;
    inv.workflows = vec![run.workflow_path.clone()];
    let project = PathBuf::from(&run.project_root);
    if !project.join(".github/workflows").is_dir() {
        bail!(
            "the project of run {id}, `{}`, no longer has a `.github/workflows` directory",
            project.display()
        );
    }
    let attempts = store
        .list_runs(&RunFilter {
            workflow: Some(run.workflow_path.clone()),
            limit: 10_000,
            ..RunFilter::default()
        })?
        .into_iter()
        .filter(|r| r.number == run.number)
        .map(|r| r.attempt)
        .max()
        .unwrap_or(run.attempt);
    let mut reuse = IndexMap::new();
    if failed {
        let mut by_job: IndexMap<String, (bool, IndexMap<String, String>)> = IndexMap::new();
        for j in store.jobs(id)? {
            if j.key.contains(" / ") {
                continue; // jobs of called workflows follow their caller
            }
            let entry = by_job
                .entry(j.job_id.clone())
                .or_insert((true, IndexMap::new()));
            entry.0 &= j.conclusion.as_deref() == Some("success");
            if let Some(o) = j.outputs.as_object() {
                for (k, v) in o {
                    entry
                        .1
                        .insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
                }
            }
        }
        for (job, (ok, outputs)) in by_job {
            if ok {
                reuse.insert(job, (Conclusion::Success, outputs));
            }
        }
    }
    let options = RunOptions {
        config,
        secrets: Vec::new(),
        secret_file: None,
        parallelism: None,
        verbosity: if quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        },
        keep_workspaces: false,
        attempt: Some(Rerun {
            number: run.number,
            attempt: attempts as u32 + 1,
            reuse,
        }),
    };
    if !inv.secret_names.is_empty() {
        output::stderr(
            "note: secrets given with --secret are not stored; a rerun uses the secrets file of the configuration only\n",
        );
    }
    execute(&project, &inv, &options)
}

/// Writes run `id`'s artifacts (those named in `names`, or all) below `dir`, one directory
/// each, from the storage that holds them or from this machine before their upload.
fn download(
    store: &Store,
    storages: &hoist_storage::StorageCatalog,
    id: i64,
    names: &[String],
    dir: &std::path::Path,
) -> anyhow::Result<Outcome> {
    store.run(id)?;
    let all = store.artifacts(id)?;
    if all.is_empty() {
        bail!("run {id} has no artifacts");
    }
    for n in names {
        if !all.iter().any(|a| &a.name == n) {
            let have: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
            bail!(
                "run {id} has no artifact `{n}` (it has: {})",
                have.join(", ")
            );
        }
    }
    let mut out = String::new();
    for a in all
        .iter()
        .filter(|a| names.is_empty() || names.contains(&a.name))
    {
        let target = dir.join(&a.name);
        let mut files = 0;
        match &a.stored {
            Some((storage_url, key)) => {
                let storage = storages.get(storage_url)?;
                for object in storage.list(key)? {
                    let Some(rel) = object
                        .key
                        .strip_prefix(key.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                    else {
                        continue;
                    };
                    // Keys come from storage: never let one climb out of the target.
                    if rel
                        .split('/')
                        .any(|part| part.is_empty() || part == "." || part == "..")
                    {
                        bail!(
                            "refusing the object `{}`: its key is not a plain relative path",
                            object.key
                        );
                    }
                    let body = storage.get(&object.key)?;
                    write_file(&target.join(rel), |to| std::fs::write(to, body))?;
                    files += 1;
                }
            }
            None => {
                let from = PathBuf::from(&a.path);
                if !from.exists() {
                    bail!(
                        "artifact `{}` of run {id} is neither uploaded nor at `{}`",
                        a.name,
                        a.path
                    );
                }
                for entry in ignore::WalkBuilder::new(&from)
                    .standard_filters(false)
                    .build()
                {
                    let entry = entry.context("cannot read the artifact's files")?;
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let rel = entry.path().strip_prefix(&from).unwrap_or(entry.path());
                    write_file(&target.join(rel), |to| {
                        std::fs::copy(entry.path(), to).map(|_| ())
                    })?;
                    files += 1;
                }
            }
        }
        out.push_str(&format!(
            "{}: {files} file(s) to {}\n",
            a.name,
            target.display()
        ));
    }
    output::stdout(&out);
    Ok(Outcome::Success)
}

/// Writes one file of a downloaded artifact at `to` with `write`, creating its directories.
fn write_file(
    to: &std::path::Path,
    write: impl FnOnce(&std::path::Path) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    write(to).with_context(|| format!("cannot write `{}`", to.display()))
}
