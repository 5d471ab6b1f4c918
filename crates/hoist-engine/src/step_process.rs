//! Running a step's process: the command files it talks to the runner through, the
//! workflow commands in its output, and the variables GitHub sets for every step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hoist_expr::Value;
use tokio::sync::{mpsc, watch};

use crate::command_files::{parse_key_values, parse_paths};
use crate::events::{Annotation, AnnotationLevel, Conclusion, JobKey, RunEvent};
use crate::executor::{Executor, ProcessEnd, ProcessMessage, ProcessSpec};
use crate::job_state::{JobState, StepResult};
use crate::placement::{runner_arch, runner_os};
use crate::shared::Shared;
use crate::workflow_commands::CommandGate;

/// A process to start for a step.
pub(crate) struct ProcessCommand {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    /// Variables on top of the job's environment.
    pub(crate) env: Vec<(String, String)>,
    pub(crate) cwd: PathBuf,
    pub(crate) timeout: Option<Duration>,
}

/// The files a step writes to talk to the runner. Each job has one set, emptied before every
/// step: truncating keeps the files' inodes, which matters on file systems (ext4) where
/// creating thousands of files right after deleting thousands is slow.
struct CommandFiles {
    output: PathBuf,
    env: PathBuf,
    path: PathBuf,
    summary: PathBuf,
    state: PathBuf,
}

impl CommandFiles {
    fn prepare(temp: &Path) -> Result<Self, String> {
        let dir = temp.join("_runner_file_commands");
        let files = Self {
            output: dir.join("set_output"),
            env: dir.join("set_env"),
            path: dir.join("add_path"),
            summary: dir.join("step_summary"),
            state: dir.join("save_state"),
        };
        for f in [
            &files.output,
            &files.env,
            &files.path,
            &files.summary,
            &files.state,
        ] {
            // Only files a step wrote to need emptying; most steps write none.
            match std::fs::metadata(f) {
                Ok(m) if m.len() == 0 => {}
                _ => {
                    std::fs::File::create(f)
                        .map_err(|e| format!("cannot create `{}`: {e}", f.display()))?;
                }
            }
        }
        Ok(files)
    }
}

/// The text of a command file; an empty file is not opened.
fn read_command_file(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 => std::fs::read_to_string(path).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Replaces `path`'s content in place. Truncating to zero and rewriting would make ext4 flush
/// the file on close (its `auto_da_alloc` safeguard); shrinking to the new length does not.
pub(crate) fn rewrite(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.set_len(text.len() as u64)
}

/// Runs a process for a step (a `run:` script or a JavaScript action) with the job's
/// environment plus `extra_env`, then applies what it wrote to the command files.
pub(crate) async fn run_process<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    log_index: Option<usize>,
    state: &mut JobState,
    command: ProcessCommand,
    cancel: &watch::Receiver<bool>,
) -> Result<StepResult, String> {
    let ProcessCommand {
        program,
        args,
        env: extra_env,
        cwd,
        timeout,
    } = command;
    let files = CommandFiles::prepare(&state.files_dir)?;
    // The default variables are the same for every step of a job: build them once.
    if state.default_env.is_empty() {
        state.default_env = default_env(shared, key, state, &files);
    }
    let mut env: Vec<(String, String)> = state.default_env.clone();
    env.extend(state.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.extend(extra_env);
    if !state.paths.is_empty() {
        let mut path: Vec<String> = state.paths.iter().rev().cloned().collect();
        path.push(std::env::var("PATH").unwrap_or_default());
        env.push(("PATH".to_owned(), path.join(":")));
    }
    let spec = ProcessSpec {
        program,
        args,
        env,
        cwd,
        timeout,
        kill_grace: shared.req.kill_grace,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let process = shared.executor.run(spec, tx, cancel.clone());
    let mut legacy_outputs = Vec::new();
    let drain = async {
        let mut gate = CommandGate::default();
        while let Some(message) = rx.recv().await {
            match message {
                ProcessMessage::Line(line) => handle_line(
                    shared,
                    key,
                    log_index,
                    &line,
                    &mut gate,
                    &mut legacy_outputs,
                ),
                ProcessMessage::Started { pgid, start_ticks } => {
                    if let (Some(index), Some(start_ticks)) = (log_index, start_ticks) {
                        shared.emit(RunEvent::StepProcess {
                            job: key.clone(),
                            index,
                            pgid,
                            start_ticks,
                        });
                    }
                }
            }
        }
    };
    let (end, ()) = tokio::join!(process, drain);

    let mut outputs = read_key_values(&files.output, "GITHUB_OUTPUT")?;
    outputs.extend(legacy_outputs);
    for (k, v) in read_key_values(&files.env, "GITHUB_ENV")? {
        state.env.insert(k, v);
    }
    state
        .paths
        .extend(parse_paths(&read_command_file(&files.path)));
    let summary = Some(read_command_file(&files.summary))
        .filter(|s| !s.trim().is_empty())
        .map(|s| shared.masker.mask(&s));
    let (outcome, exit_code) = match end {
        ProcessEnd::Exited(0) => (Conclusion::Success, Some(0)),
        ProcessEnd::Exited(code) => {
            shared.log(
                key,
                log_index,
                &format!("Error: Process completed with exit code {code}."),
            );
            (Conclusion::Failure, Some(code))
        }
        ProcessEnd::Signaled(sig) => {
            shared.log(
                key,
                log_index,
                &format!("Error: Process was killed by signal {sig}."),
            );
            (Conclusion::Failure, None)
        }
        ProcessEnd::TimedOut => {
            let minutes = timeout.map_or(0.0, |t| t.as_secs_f64() / 60.0);
            let message = format!(
                "The step has timed out after {} minute(s).",
                hoist_expr::number::to_js_string((minutes * 100.0).round() / 100.0)
            );
            shared.log(key, log_index, &format!("Error: {message}"));
            shared.annotate(key, log_index, AnnotationLevel::Error, &message);
            (Conclusion::Failure, None)
        }
        ProcessEnd::Cancelled => {
            shared.log(key, log_index, "Error: The operation was cancelled.");
            (Conclusion::Cancelled, None)
        }
        ProcessEnd::FailedToStart(message) => return Err(message),
    };
    Ok(StepResult {
        outcome,
        exit_code,
        outputs,
        summary,
    })
}

fn read_key_values(path: &Path, what: &str) -> Result<Vec<(String, String)>, String> {
    let text = read_command_file(path);
    parse_key_values(&text).map_err(|e| format!("unable to process file command `{what}`: {e}"))
}

/// Handles one output line: workflow commands, masking, and the log event.
fn handle_line<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    index: Option<usize>,
    line: &str,
    gate: &mut CommandGate,
    legacy_outputs: &mut Vec<(String, String)>,
) {
    let Some(cmd) = gate.filter(line) else {
        shared.log(key, index, line);
        return;
    };
    match cmd.name.as_str() {
        "add-mask" => {
            shared.masker.add(&cmd.message);
            shared.log(
                key,
                index,
                &format!("::add-mask::{}", shared.masker.mask(&cmd.message)),
            );
        }
        "error" | "warning" | "notice" => {
            let level = match cmd.name.as_str() {
                "error" => AnnotationLevel::Error,
                "warning" => AnnotationLevel::Warning,
                _ => AnnotationLevel::Notice,
            };
            let annotation = Annotation {
                level,
                message: shared.masker.mask(&cmd.message),
                title: cmd.property("title").map(|t| shared.masker.mask(t)),
                file: cmd.property("file").map(str::to_owned),
                line: cmd.property("line").and_then(|l| l.parse().ok()),
                column: cmd.property("col").and_then(|c| c.parse().ok()),
            };
            shared.log(
                key,
                index,
                &format!(
                    "{}: {}",
                    level.as_str().to_ascii_uppercase(),
                    annotation.message
                ),
            );
            shared.emit(RunEvent::Annotation {
                job: key.clone(),
                step: index,
                annotation,
            });
        }
        "group" => shared.log(key, index, &format!("▼ {}", cmd.message)),
        "endgroup" => {}
        "debug" => {
            if shared.req.debug {
                shared.log(key, index, &format!("[debug] {}", cmd.message));
            }
        }
        "set-output" => {
            if let Some(name) = cmd.property("name") {
                legacy_outputs.push((name.to_owned(), cmd.message.clone()));
            }
        }
        "set-env" | "add-path" => {
            let message = format!(
                "the `{}` command is disabled; write to the `{}` file instead",
                cmd.name,
                if cmd.name == "set-env" {
                    "GITHUB_ENV"
                } else {
                    "GITHUB_PATH"
                }
            );
            shared.annotate(key, index, AnnotationLevel::Error, &message);
        }
        "echo" | "save-state" => {}
        _ => shared.log(key, index, line),
    }
}

/// The variables GitHub sets for every step.
fn default_env<E: Executor>(
    shared: &Arc<Shared<E>>,
    key: &JobKey,
    state: &JobState,
    files: &CommandFiles,
) -> Vec<(String, String)> {
    let req = &shared.req;
    let e = &req.event;
    let (ref_name, ref_type) = ref_parts(&e.git_ref);
    let owner = e
        .repository
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let workflow_name = state
        .contexts
        .get("github")
        .and_then(|g| g.get("workflow"))
        .map(Value::coerce_string)
        .unwrap_or_default();
    let p = |path: &Path| path.to_string_lossy().into_owned();
    let mut env = vec![
        ("CI", "true".to_owned()),
        ("HOIST", "true".to_owned()),
        ("GITHUB_ACTIONS", "true".to_owned()),
        ("GITHUB_WORKSPACE", p(&state.workspace)),
        ("GITHUB_SHA", e.sha.clone()),
        ("GITHUB_REF", e.git_ref.clone()),
        ("GITHUB_REF_NAME", ref_name),
        ("GITHUB_REF_TYPE", ref_type.to_owned()),
        ("GITHUB_BASE_REF", e.base_ref.clone()),
        ("GITHUB_HEAD_REF", e.head_ref.clone()),
        ("GITHUB_EVENT_NAME", e.name.clone()),
        ("GITHUB_EVENT_PATH", p(&shared.event_path)),
        ("GITHUB_RUN_ID", req.run_id.to_string()),
        ("GITHUB_RUN_NUMBER", req.run_number.to_string()),
        ("GITHUB_RUN_ATTEMPT", req.run_attempt.to_string()),
        ("GITHUB_JOB", key.job_id.clone()),
        ("GITHUB_REPOSITORY", e.repository.clone()),
        ("GITHUB_REPOSITORY_OWNER", owner),
        ("GITHUB_ACTOR", e.actor.clone()),
        ("GITHUB_TRIGGERING_ACTOR", e.actor.clone()),
        ("GITHUB_WORKFLOW", workflow_name),
        (
            "GITHUB_WORKFLOW_REF",
            format!("{}/{}@{}", e.repository, req.workflow.path, e.git_ref),
        ),
        ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
        ("GITHUB_API_URL", "https://api.github.com".to_owned()),
        (
            "GITHUB_GRAPHQL_URL",
            "https://api.github.com/graphql".to_owned(),
        ),
        ("GITHUB_OUTPUT", p(&files.output)),
        ("GITHUB_ENV", p(&files.env)),
        ("GITHUB_PATH", p(&files.path)),
        ("GITHUB_STEP_SUMMARY", p(&files.summary)),
        ("GITHUB_STATE", p(&files.state)),
        ("RUNNER_OS", runner_os().to_owned()),
        ("RUNNER_ARCH", runner_arch().to_owned()),
        ("RUNNER_NAME", "hoist".to_owned()),
        ("RUNNER_ENVIRONMENT", "self-hosted".to_owned()),
        ("RUNNER_TEMP", p(&state.temp)),
        (
            "HOIST_TEST_RESULTS",
            p(&crate::test_reports::results_dir(&state.temp)),
        ),
        ("RUNNER_TOOL_CACHE", p(&req.cache_dir.join("tools"))),
    ];
    if req.debug {
        env.push(("RUNNER_DEBUG", "1".to_owned()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `refs/heads/main` → (`main`, `branch`); `refs/tags/v1` → (`v1`, `tag`).
pub(crate) fn ref_parts(git_ref: &str) -> (String, &'static str) {
    if let Some(b) = git_ref.strip_prefix("refs/heads/") {
        (b.to_owned(), "branch")
    } else if let Some(t) = git_ref.strip_prefix("refs/tags/") {
        (t.to_owned(), "tag")
    } else if let Some(p) = git_ref.strip_prefix("refs/pull/") {
        (p.to_owned(), "branch")
    } else {
        (git_ref.to_owned(), "branch")
    }
}
