//! Starting a step's process. [`Executor`] is the seam where containers and remote runners
//! will plug in; [`HostExecutor`] runs processes directly on this machine.

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::{mpsc, watch};

/// What to run.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    pub program: String,
    pub args: Vec<String>,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub timeout: Option<Duration>,
    /// How long to wait after SIGTERM before SIGKILL when stopping the process group.
    pub kill_grace: Duration,
}

/// How the process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessEnd {
    Exited(i32),
    /// Killed by a signal it did not handle (not by us).
    Signaled(i32),
    TimedOut,
    Cancelled,
    FailedToStart(String),
}

/// What a running process reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessMessage {
    /// The process started as the leader of process group `pgid`; `start_ticks` is its start
    /// time (`/proc/<pid>/stat`), which tells it from a later process given the same number.
    Started { pgid: u32, start_ticks: Option<u64> },
    /// One line of its combined stdout and stderr.
    Line(String),
}

/// Runs processes, sending each line of combined stdout/stderr to `lines`.
pub trait Executor: Send + Sync + 'static {
    fn run(
        &self,
        spec: ProcessSpec,
        lines: mpsc::UnboundedSender<ProcessMessage>,
        cancel: watch::Receiver<bool>,
    ) -> impl Future<Output = ProcessEnd> + Send;
}

/// A cancellation signal that never fires: for what runs because the run was cancelled
/// (`always()` and `cancelled()` steps and jobs), which the same cancellation must not stop.
pub(crate) fn never_cancelled() -> watch::Receiver<bool> {
    // With the sender gone, `changed()` fails and executors wait for the process alone.
    watch::channel(false).1
}

/// Runs each step as a child process in its own process group, so that a timeout or a
/// cancellation stops everything the step started.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostExecutor;

impl Executor for HostExecutor {
    async fn run(
        &self,
        spec: ProcessSpec,
        lines: mpsc::UnboundedSender<ProcessMessage>,
        mut cancel: watch::Receiver<bool>,
    ) -> ProcessEnd {
        // One pipe for stdout and stderr keeps their lines in the order they were written.
        let (reader, writer) = match std::io::pipe() {
            Ok(p) => p,
            Err(e) => return ProcessEnd::FailedToStart(format!("cannot create a pipe: {e}")),
        };
        let writer2 = match writer.try_clone() {
            Ok(w) => w,
            Err(e) => return ProcessEnd::FailedToStart(format!("cannot create a pipe: {e}")),
        };
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&spec.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::from(writer2))
            .process_group(0)
            .kill_on_drop(true);
        let child = cmd.spawn();
        // The parent's copies of the write end must go, or the reader never sees EOF.
        drop(cmd);
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                return ProcessEnd::FailedToStart(format!("cannot start `{}`: {e}", spec.program));
            }
        };
        let pgid = child.id().map(|id| Pid::from_raw(id as i32));
        // Dropped when this function returns, after the group has been dealt with.
        let _watchdog = pgid.and_then(Watchdog::start);
        if let Some(pgid) = pgid {
            let pgid = pgid.as_raw() as u32;
            let _ = lines.send(ProcessMessage::Started {
                pgid,
                start_ticks: process_start_ticks(pgid),
            });
        }
        // Read the pipe on the runtime itself: no thread hand-off between steps.
        let reader = match tokio::net::unix::pipe::Receiver::from_owned_fd(
            std::os::fd::OwnedFd::from(reader),
        ) {
            Ok(r) => r,
            Err(e) => {
                return ProcessEnd::FailedToStart(format!("cannot read the process output: {e}"));
            }
        };
        let reader_done = tokio::spawn(read_lines(reader, lines));

        let timeout = async {
            match spec.timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        let cancelled = async {
            loop {
                if *cancel.borrow() {
                    return;
                }
                if cancel.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        let end = tokio::select! {
            status = child.wait() => match status {
                Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
                    (Some(code), _) => ProcessEnd::Exited(code),
                    (None, Some(sig)) => ProcessEnd::Signaled(sig),
                    _ => ProcessEnd::Exited(-1),
                },
                Err(e) => ProcessEnd::FailedToStart(format!("waiting for the process failed: {e}")),
            },
            () = timeout => ProcessEnd::TimedOut,
            () = cancelled => ProcessEnd::Cancelled,
        };
        if matches!(end, ProcessEnd::TimedOut | ProcessEnd::Cancelled)
            && let Some(pgid) = pgid
        {
            stop_group(pgid, &mut child, spec.kill_grace).await;
        }
        // Background processes may hold the pipe open; give the reader a moment, then move on.
        let _ = tokio::time::timeout(Duration::from_secs(1), reader_done).await;
        end
    }
}

/// Ends a step's process group when Hoist dies without ending it (SIGKILL, a crash, an
/// abort): a small `sh`, in a process group of its own so a terminal's Ctrl-C does not reach
/// it, blocks reading a pipe whose only write end Hoist holds. The kernel closes that end when
/// Hoist dies, however it dies; the read returns and the shell signals the group.
///
/// On the normal path the watchdog is killed before the pipe closes (field order), so it never
/// signals a group whose number the system may since have given to someone else.
struct Watchdog {
    _shell: tokio::process::Child,
    _alive: std::io::PipeWriter,
}

/// TERM, then KILL after a grace period for whatever ignored it. (No `--` before the negative
/// group id: dash, Debian's `sh`, refuses it.)
const WATCHDOG_SCRIPT: &str =
    "read -r _; kill -TERM -\"$1\" 2>/dev/null; sleep 2; kill -KILL -\"$1\" 2>/dev/null";

impl Watchdog {
    fn start(pgid: Pid) -> Option<Self> {
        // `std::io::pipe` opens both ends close-on-exec: no step inherits the write end, or
        // its mere presence would keep the watchdog waiting after Hoist died.
        let (reader, writer) = std::io::pipe().ok()?;
        let shell = tokio::process::Command::new("/bin/sh")
            .args(["-c", WATCHDOG_SCRIPT, "hoist-watchdog"])
            .arg(pgid.to_string())
            .stdin(Stdio::from(reader))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        Some(Self {
            _shell: shell,
            _alive: writer,
        })
    }
}

/// SIGTERM to the whole group, then SIGKILL if it is still there after `grace`.
async fn stop_group(pgid: Pid, child: &mut tokio::process::Child, grace: Duration) {
    let _ = killpg(pgid, Signal::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = child.wait().await;
    } else {
        // The leader is gone; make sure nothing it started outlives it.
        let _ = killpg(pgid, Signal::SIGKILL);
    }
}

async fn read_lines(
    reader: tokio::net::unix::pipe::Receiver,
    lines: mpsc::UnboundedSender<ProcessMessage>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut reader = tokio::io::BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                if lines
                    .send(ProcessMessage::Line(
                        String::from_utf8_lossy(&buf).into_owned(),
                    ))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces and
/// parentheses, so the split is at the last `)`): index 0 is the state, 2 the process group,
/// 19 the start time in clock ticks since boot.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// When process `pid` started, in clock ticks since boot (Linux); `None` elsewhere.
pub fn process_start_ticks(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// Ends process group `pgid` if it is still the one a step of an interrupted run left behind:
/// its members started no earlier than the step's leader (`leader_start`), and the leader,
/// if still there, is the same process (same start time). TERM, then KILL after 2 s. Returns
/// whether it found the group and signalled it.
///
/// The second line of defence behind each step's watchdog (which ends the group as soon as
/// Hoist dies): for when the watchdog itself was killed too.
pub fn end_orphaned_group(pgid: u32, leader_start: u64) -> bool {
    let members = |pgid: u32| -> Vec<(u32, u64)> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| {
                let f = stat_fields(pid)?;
                // Zombies are already gone in all but name.
                let alive = f.first().is_some_and(|s| s != "Z");
                let group: u32 = f.get(2)?.parse().ok()?;
                let start: u64 = f.get(19)?.parse().ok()?;
                (alive && group == pgid).then_some((pid, start))
            })
            .collect()
    };
    let found = members(pgid);
    let ours = !found.is_empty()
        && found.iter().all(|(_, start)| *start >= leader_start)
        && found
            .iter()
            .all(|(pid, start)| *pid != pgid || *start == leader_start);
    if !ours {
        return false;
    }
    let group = Pid::from_raw(pgid as i32);
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while !members(pgid).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = killpg(group, Signal::SIGKILL);
    true
}
