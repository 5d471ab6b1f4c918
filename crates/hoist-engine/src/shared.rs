//! What every task of one run shares: the request, where jobs are placed, the executor,
//! the observer, the masker, the job slots and what was looked up once per run.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use tokio::sync::Semaphore;

use crate::action_cache::{ActionCache, RemoteAction};
use crate::events::{Annotation, AnnotationLevel, Conclusion, JobKey, Observer, RunEvent};
use crate::executor::Executor;
use crate::mask::Masker;
use crate::request::RunRequest;

/// State shared by every task of a run.
pub(crate) struct Shared<E> {
    pub(crate) req: RunRequest,
    /// Where job instances run: `None` in this process; else handed over as requests.
    pub(crate) placement: Option<Arc<dyn crate::job_request::JobPlacement>>,
    pub(crate) executor: E,
    pub(crate) observer: Arc<dyn Observer>,
    pub(crate) masker: Masker,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) event_path: PathBuf,
    /// Where each program was found on PATH, so steps do not search for `bash` every time.
    programs: std::sync::Mutex<std::collections::HashMap<String, Option<PathBuf>>>,
    /// One fetch per remote action and run, whichever job needs it first; the others wait
    /// for that one's result.
    fetches: std::sync::Mutex<std::collections::HashMap<RemoteAction, Arc<FetchOnce>>>,
}

type FetchOnce = tokio::sync::OnceCell<Result<(), String>>;

impl<E: Executor> Shared<E> {
    pub(crate) fn new(
        req: RunRequest,
        executor: E,
        observer: Arc<dyn Observer>,
        event_path: PathBuf,
    ) -> Self {
        let masker = Masker::default();
        for v in req
            .secrets
            .values()
            .chain(req.environments.values().flat_map(|e| e.secrets.values()))
        {
            masker.add(v);
        }
        let slots = Arc::new(Semaphore::new(req.parallelism.max(1)));
        Self {
            req,
            placement: None,
            executor,
            observer,
            masker,
            slots,
            event_path,
            programs: std::sync::Mutex::new(std::collections::HashMap::new()),
            fetches: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Fetches a remote action into the cache once for the whole run.
    pub(crate) async fn fetch_action(
        &self,
        cache: &ActionCache,
        action: &RemoteAction,
    ) -> Result<(), String> {
        let once = {
            let mut fetches = self.fetches.lock().unwrap_or_else(|e| e.into_inner());
            fetches.entry(action.clone()).or_default().clone()
        };
        once.get_or_init(|| async { cache.fetch(action).await.map(|_| ()) })
            .await
            .clone()
    }

    pub(crate) fn emit(&self, event: RunEvent) {
        self.observer.on_event(&event);
    }

    pub(crate) fn log(&self, job: &JobKey, step: Option<usize>, line: &str) {
        self.emit(RunEvent::Log {
            job: job.clone(),
            step,
            line: self.masker.mask(line),
        });
    }

    pub(crate) fn annotate(
        &self,
        job: &JobKey,
        step: Option<usize>,
        level: AnnotationLevel,
        message: &str,
    ) {
        let annotation = Annotation {
            level,
            message: self.masker.mask(message),
            title: None,
            file: None,
            line: None,
            column: None,
        };
        self.emit(RunEvent::Annotation {
            job: job.clone(),
            step,
            annotation,
        });
    }

    /// The absolute path of `program`: first in `extra` directories (from `GITHUB_PATH`),
    /// then on this process's PATH (looked up once per run).
    pub(crate) fn which(&self, program: &str, extra: &[String]) -> Option<PathBuf> {
        if program.contains('/') {
            return Some(PathBuf::from(program));
        }
        for dir in extra.iter().rev() {
            let candidate = std::path::Path::new(dir).join(program);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        let mut cache = self.programs.lock().ok()?;
        cache
            .entry(program.to_owned())
            .or_insert_with(|| {
                let path = std::env::var_os("PATH")?;
                std::env::split_paths(&path)
                    .map(|d| d.join(program))
                    .find(|p| p.is_file())
            })
            .clone()
    }

    /// What a rerun reuses of job `id`: its earlier conclusion and outputs.
    pub(crate) fn req_reuse(&self, id: &str) -> Option<(Conclusion, IndexMap<String, String>)> {
        self.req.reuse.get(id).cloned()
    }
}
