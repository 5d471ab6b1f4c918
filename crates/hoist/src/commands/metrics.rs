//! `hoist metrics`: summaries of the recorded runs, and the upload of each run's logs,
//! artifacts and metrics document to object storage (at the end of a run, and by
//! `hoist metrics flush`).

use std::io::Read;

use anyhow::{Context, bail};
use hoist_metrics::{Record, Summary, Window};
use hoist_storage::StorageCatalog;
use hoist_store::{FlushReport, Store};
use jiff::{SignedDuration, Timestamp};

use crate::cli::{MetricsArgs, MetricsCommand, MetricsFormat, SummaryArgs};
use crate::commands::Outcome;
use crate::commands::run::open_store;
use crate::config::Config;
use crate::output;
use crate::project::find_project;
use crate::view::{Verbosity, format_duration};

pub(crate) fn run(args: &MetricsArgs) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = find_project(&cwd).ok();
    let (config, _) = Config::load(args.config.as_deref(), project.as_deref())?;
    let mut store = open_store(&config)?;
    match &args.command {
        None => summary(&store, &args.summary),
        Some(MetricsCommand::Summary(s)) => summary(&store, s),
        Some(MetricsCommand::Status { json }) => status(&store, &config, *json),
        Some(MetricsCommand::Flush { json }) => flush(&mut store, &config, *json),
        Some(MetricsCommand::Export { id }) => {
            store.run(*id)?;
            output::stdout(&hoist_metrics::to_ndjson(&store.metrics_records(*id)?));
            Ok(Outcome::Success)
        }
        Some(MetricsCommand::Import { files }) => import(&mut store, files),
    }
}

/// Uploads a run that just finished. A failure is a warning: the run's result stands and
/// its data stays in the local database until a later flush succeeds.
pub(crate) fn upload_finished_run(
    store: &mut Store,
    storages: &StorageCatalog,
    run_id: i64,
    verbosity: Verbosity,
) {
    let started = std::time::Instant::now();
    let result = storages
        .current()
        .map_err(hoist_store::StoreError::from)
        .and_then(|storage| store.upload_run(&storage, run_id).map(|()| storage));
    match result {
        Ok(storage) => {
            if verbosity == Verbosity::Verbose {
                output::stderr(&format!(
                    "uploaded run {run_id}'s logs and metrics to {} in {:.1} ms\n",
                    storage.url(),
                    started.elapsed().as_secs_f64() * 1000.0
                ));
            }
        }
        Err(e) => output::stderr(&format!(
            "warning: run {run_id}'s logs and metrics are kept locally: {}\n  \
             they will be uploaded by a later run, or now by `hoist metrics flush`\n",
            e.with_root_cause()
        )),
    }
}

/// Retries earlier uploads whose backoff has expired; quiet unless something fails.
pub(crate) fn flush_due(store: &mut Store, storages: &StorageCatalog, verbosity: Verbosity) {
    let Ok(storage) = storages.current() else {
        return;
    };
    // A bounded number, so that a backlog (upload was off, or storage was down for long)
    // does not hold up the end of one run; `hoist metrics flush` takes the rest.
    match store.flush_uploads(&storage, false, 10) {
        Ok(report) => {
            if !report.failed.is_empty() && verbosity != Verbosity::Quiet {
                output::stderr(&format!(
                    "warning: {} earlier run(s) still wait for upload; see `hoist metrics status`\n",
                    report.failed.len() + report.deferred
                ));
            }
        }
        Err(e) => output::stderr(&format!(
            "warning: cannot retry uploads: {}\n",
            e.with_root_cause()
        )),
    }
}

fn status(store: &Store, config: &Config, json: bool) -> anyhow::Result<Outcome> {
    let pending = store.pending_uploads()?;
    let url = config.storage_settings().url;
    if json {
        let value = serde_json::json!({ "storage": url, "pending": pending });
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&value)?));
        return Ok(Outcome::Success);
    }
    if pending.is_empty() {
        output::stdout(&format!(
            "nothing pending; every finished run is in {url}\n"
        ));
        return Ok(Outcome::Success);
    }
    let mut out = format!("{} run(s) wait for upload to {url}:\n", pending.len());
    let now = Timestamp::now().as_millisecond();
    for p in &pending {
        let next = match p.retry_after {
            Some(t) if t > now => format!(
                "next try in {}",
                format_duration(std::time::Duration::from_millis((t - now) as u64))
            ),
            _ => "next try: the next run or flush".to_owned(),
        };
        out.push_str(&format!(
            "  run {} ({} #{}, {}): {} attempt(s), {next}\n",
            p.id,
            p.workflow_name,
            p.number,
            p.conclusion.as_deref().unwrap_or("unfinished"),
            p.attempts
        ));
        if let Some(e) = &p.last_error {
            out.push_str(&format!("      last error: {e}\n"));
        }
    }
    out.push_str("Upload them now with `hoist metrics flush`.\n");
    output::stdout(&out);
    Ok(Outcome::Success)
}

fn flush(store: &mut Store, config: &Config, json: bool) -> anyhow::Result<Outcome> {
    let storages = StorageCatalog::new(config.storage_settings());
    let storage = storages.current()?;
    let FlushReport {
        uploaded,
        failed,
        deferred,
    } = store.flush_uploads(&storage, true, usize::MAX)?;
    if json {
        let failures: Vec<serde_json::Value> = failed
            .iter()
            .map(|f| serde_json::json!({ "run": f.run_id, "error": f.error.with_root_cause() }))
            .collect();
        let value = serde_json::json!({
            "storage": storage.url(),
            "uploaded": uploaded,
            "failed": failures,
            "not_tried": deferred,
        });
        output::stdout(&format!("{}\n", serde_json::to_string_pretty(&value)?));
    } else {
        let mut out = format!("uploaded {} run(s) to {}\n", uploaded.len(), storage.url());
        for f in &failed {
            out.push_str(&format!(
                "  run {}: {}\n",
                f.run_id,
                f.error.with_root_cause()
            ));
        }
        if deferred > 0 {
            out.push_str(&format!(
                "  {deferred} run(s) not tried: the storage is unreachable\n"
            ));
        }
        output::stdout(&out);
    }
    Ok(if failed.is_empty() && deferred == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

fn import(store: &mut Store, files: &[std::path::PathBuf]) -> anyhow::Result<Outcome> {
    let mut records: Vec<Record> = Vec::new();
    for f in files {
        let (name, text) = if f.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read standard input")?;
            ("<stdin>".to_owned(), text)
        } else {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read `{}`", f.display()))?;
            (f.display().to_string(), text)
        };
        let parsed =
            hoist_metrics::parse_document(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        records.extend(parsed);
    }
    let imported = store.import(&records)?;
    output::stdout(&format!(
        "imported {} run(s), {} job(s), {} step(s){}\n",
        imported.runs,
        imported.jobs,
        imported.steps,
        if imported.already_present > 0 {
            format!("; {} run(s) were already there", imported.already_present)
        } else {
            String::new()
        }
    ));
    Ok(Outcome::Success)
}

/// `7d`, `12h`, `30m`, `2w`, `45s` back from `until`, a date (UTC midnight) or a timestamp.
fn parse_when(text: &str, until: Timestamp, flag: &str) -> anyhow::Result<Timestamp> {
    let t = text.trim();
    if let Some(unit) = t.chars().last().filter(char::is_ascii_alphabetic)
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => bail!("{flag} `{text}`: unknown unit `{unit}` (use s, m, h, d or w)"),
        };
        return Ok(until - SignedDuration::from_secs(n.saturating_mul(seconds)));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = t.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .with_context(|| format!("{flag} `{text}` is out of range"));
    }
    bail!(
        "{flag} `{text}`: expected a duration like `7d`, a date like `2026-11-01` or a timestamp like `2026-11-01T08:00:00Z`"
    )
}

fn summary(store: &Store, args: &SummaryArgs) -> anyhow::Result<Outcome> {
    let until = match &args.until {
        Some(u) => parse_when(u, Timestamp::now(), "--until")?,
        None => Timestamp::now(),
    };
    let since = parse_when(&args.since, until, "--since")?;
    if since >= until {
        bail!("--since ({since}) must be before --until ({until})");
    }
    // Jobs of a run that started up to a day before the window may start inside it.
    let mut records =
        store.records_between(since.as_millisecond(), until.as_millisecond(), 86_400_000)?;
    if let Some(w) = &args.workflow {
        records.retain(|r| &r.run.workflow == w || r.run.workflow_path.ends_with(w.as_str()));
    }
    let summary = hoist_metrics::summarise(&records, Window { since, until }, args.top);
    let format = if args.json {
        MetricsFormat::Json
    } else {
        args.format
    };
    let text = match format {
        MetricsFormat::Json => format!("{}\n", serde_json::to_string_pretty(&summary)?),
        MetricsFormat::Prometheus => hoist_metrics::prometheus::render(&summary),
        MetricsFormat::Text => render_text(&summary),
    };
    output::stdout(&text);
    Ok(Outcome::Success)
}

/// Durations as people read them; below a second in milliseconds, since steps often are.
fn seconds(ms: i64) -> String {
    if ms < 1000 {
        format!("{}ms", ms.max(0))
    } else {
        format_duration(std::time::Duration::from_millis(ms as u64))
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

fn render_text(s: &Summary) -> String {
    let mut out = format!(
        "Runs from {} to {} (UTC)\n",
        s.since.strftime("%Y-%m-%d %H:%M"),
        s.until.strftime("%Y-%m-%d %H:%M")
    );
    if s.workflows.is_empty() {
        out.push_str("\nno finished runs in this window\n");
        return out;
    }
    let sections: [(&str, &[hoist_metrics::summary::Group]); 3] = [
        ("WORKFLOW", &s.workflows),
        ("JOB", &s.jobs),
        ("SERVICE", &s.services),
    ];
    for (title, groups) in sections {
        if groups.is_empty() {
            continue;
        }
        let names: Vec<String> = groups
            .iter()
            .map(|g| match (&g.workflow, &g.job, &g.service) {
                (_, _, Some(service)) => service.clone(),
                (Some(w), Some(j), _) => format!("{w} / {j}"),
                (Some(w), None, _) => w.clone(),
                _ => String::new(),
            })
            .collect();
        let width = names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len());
        let with_tests = groups.iter().any(|g| g.tests.is_some());
        out.push_str(&format!(
            "\n{title:<width$}  {:>5}  {:>7}  {:>8}  {:>8}  {:>8}{}\n",
            "RUNS",
            "SUCCESS",
            "P50",
            "P95",
            "MAX",
            if with_tests { "  TESTS (FAILED)" } else { "" }
        ));
        for (g, name) in groups.iter().zip(&names) {
            let (p50, p95, max) = g
                .duration
                .as_ref()
                .map_or(("-".into(), "-".into(), "-".into()), |d| {
                    (seconds(d.p50_ms), seconds(d.p95_ms), seconds(d.max_ms))
                });
            let tests = g
                .tests
                .map(|t| format!("  {} ({})", t.total, t.failed))
                .unwrap_or_default();
            out.push_str(&format!(
                "{name:<width$}  {:>5}  {:>7}  {p50:>8}  {p95:>8}  {max:>8}{tests}\n",
                g.runs,
                percent(g.success_rate)
            ));
        }
    }
    if !s.slowest_steps.is_empty() {
        out.push_str("\nSLOWEST STEPS (by p95)\n");
        for st in &s.slowest_steps {
            out.push_str(&format!(
                "  {} / {} / {}: p95 {}, p50 {}, max {} over {} run(s)\n",
                st.workflow,
                st.job,
                st.step,
                seconds(st.duration.p95_ms),
                seconds(st.duration.p50_ms),
                seconds(st.duration.max_ms),
                st.runs
            ));
        }
    }
    if !s.flaky_jobs.is_empty() {
        out.push_str("\nFLAKY JOBS (failed, then passed on a rerun of the same commit)\n");
        for f in &s.flaky_jobs {
            out.push_str(&format!(
                "  {} / {}: {} of {} commit(s) ({})\n",
                f.workflow,
                f.job,
                f.flaky_commits,
                f.commits,
                percent(f.flaky_rate)
            ));
        }
    }
    out
}
