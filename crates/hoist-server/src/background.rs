//! The embedded runners, on threads of their own at a lower CPU priority: the jobs they
//! start (a step's `bash`, `git`, a build) are what takes a busy machine's cores, and the
//! server's answers (a delivery acknowledged, a dispatch accepted) must not queue behind them.
//!
//! Only the runners: they hold none of the server's locks and reach it over HTTP as a remote
//! runner does. Planners and recorders stay at the server's priority because they hold the
//! store's locks, which the answers wait for; niced, a planner preempted inside a write
//! transaction made dispatch answers wait 100–220 ms at p99 (`BENCHMARKS.md`).
//!
//! Only the scheduler's share changes: a niced thread still gets every idle cycle, so
//! nothing waits longer when the machine is not saturated. Child processes inherit the
//! priority of the thread that starts them.

use tokio::runtime::{Handle, Runtime};

use crate::errors::ServerError;

/// How much nicer the background threads are than the server's others: a tenth of their
/// CPU share when both want the CPU (Linux weights nice 10 at 110 against 1024 for nice 0),
/// never starved.
const NICER_BY: i32 = 10;

/// A tokio runtime whose threads run [`NICER_BY`] nicer; tasks spawned from one of its tasks stay
/// on it, and so do their `spawn_blocking` closures.
pub(crate) struct Background {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl Background {
    pub(crate) fn start() -> Result<Self, ServerError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("hoist-background")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()
            .map_err(|source| ServerError::Runtime { source })?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which a tokio thread may not do; the server is gone
        // when this runs, so its unfinished background tasks are dropped without waiting.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// On Linux a priority set for a thread id applies to that thread alone (elsewhere it would
/// be the whole process, so nothing is changed there). Failing is harmless: the work runs
/// at the normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = Some(rustix::thread::gettid());
        let now = rustix::process::getpriority_process(thread).unwrap_or(0);
        let _ = rustix::process::setpriority_process(thread, (now + NICER_BY).min(19));
    }
}
