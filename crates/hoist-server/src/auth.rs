//! Who may call the API: a bearer token, compared by its SHA-256 digest in constant time. On
//! first start the server creates an admin token in `<data dir>/admin-token` (mode 0600),
//! which the CLI on the same machine reads when `HOIST_TOKEN` is unset.

use std::path::Path;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::errors::ServerError;
use crate::state::SharedState;
use hoist_store::Role;

const ADMIN_TOKEN_FILE: &str = "admin-token";

/// The admin token of the server whose data directory is `data_dir`, if it was created.
pub fn read_admin_token(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join(ADMIN_TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The admin token: read, or created on first start.
pub(crate) fn admin_token(data_dir: &Path) -> Result<String, ServerError> {
    if let Some(token) = read_admin_token(data_dir) {
        return Ok(token);
    }
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    let token = new_token();
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(format!("{token}\n").as_bytes())
    };
    write().map_err(|source| ServerError::DataDir {
        path: path.clone(),
        source,
    })?;
    Ok(token)
}

/// `n` random bytes as hex, from the kernel's generator.
fn random_hex(n: usize) -> String {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal digests, in time that does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller that presented a valid token: a person with a role, or a runner.
#[derive(Debug)]
pub(crate) struct Caller {
    pub(crate) name: String,
    /// `None` for a runner's credential (or a runner registration token, with
    /// `registration`).
    pub(crate) role: Option<Role>,
    /// The repositories the token is limited to; `None`: all.
    pub(crate) repos: Option<Vec<String>>,
    /// A runner registration token: it may only register runners.
    pub(crate) registration: bool,
}

impl Caller {
    /// Refuses (403) a caller without at least `role`.
    pub(crate) fn require(&self, role: Role) -> Result<(), ApiError> {
        match self.role {
            Some(have) if have >= role => Ok(()),
            have => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "this needs the `{}` role; `{}` is {}",
                    role.as_str(),
                    self.name,
                    have.map_or("a runner".to_owned(), |r| format!("`{}`", r.as_str()))
                ),
            )),
        }
    }

    /// Refuses (403) a caller whose token is limited to other repositories than `repo`.
    pub(crate) fn require_repo(&self, repo: &str) -> Result<(), ApiError> {
        match &self.repos {
            Some(granted) if !granted.iter().any(|g| g == repo) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "`{}` may act only on {}, not on `{repo}`",
                    self.name,
                    if granted.is_empty() {
                        "no repository".to_owned()
                    } else {
                        granted
                            .iter()
                            .map(|g| format!("`{g}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )),
            _ => Ok(()),
        }
    }

    /// [`Caller::require`] and [`Caller::require_repo`] for run `run`.
    pub(crate) fn require_for_run(
        &self,
        role: Role,
        run: &hoist_store::RunRow,
    ) -> Result<(), ApiError> {
        self.require(role)?;
        self.require_repo(&run.repo)
    }

    /// Refuses (403) anyone but the runner `runner` (its own token) or an admin.
    pub(crate) fn require_runner(&self, runner: &str) -> Result<(), ApiError> {
        match self.role {
            None if self.registration => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "a registration token only registers runners: `hoist runner` trades it for the runner's own credential on its first start",
            )),
            None if self.name == runner => Ok(()),
            None => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the token of runner `{}` cannot act for runner `{runner}`",
                    self.name
                ),
            )),
            Some(Role::Admin) => Ok(()),
            Some(r) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "only runners take jobs; `{}` is `{}` (create a runner's token with `hoist token create --role runner`)",
                    self.name,
                    r.as_str()
                ),
            )),
        }
    }
}

/// The kind a runner's token is stored with.
pub(crate) const RUNNER_KIND: &str = "runner";

/// The kind of a token that runners trade for their credential (`--role runner`).
pub(crate) const REGISTRATION_KIND: &str = "runner-registration";

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing token: send `Authorization: Bearer <token>` (the admin token is in the server's data directory, `admin-token`)",
            ));
        };
        caller_for_token(state, token)
    }
}

/// The caller `token` belongs to, or 401.
pub(crate) fn caller_for_token(state: &SharedState, token: &str) -> Result<Caller, ApiError> {
    {
        let digest = digest(token.trim());
        if same(&digest, &state.admin_digest) {
            return Ok(Caller {
                name: "admin".to_owned(),
                role: Some(Role::Admin),
                repos: None,
                registration: false,
            });
        }
        // Looked up by digest: equal digests are the only way to match, so no timing of the
        // comparison tells anything about the token.
        let found = state.store().token_by_digest(&digest)?;
        match found {
            Some(t) if t.kind == RUNNER_KIND || t.kind == REGISTRATION_KIND => Ok(Caller {
                registration: t.kind == REGISTRATION_KIND,
                name: t.name,
                role: None,
                repos: None,
            }),
            Some(t) => Ok(Caller {
                role: Some(Role::parse(&t.kind).unwrap_or(Role::Viewer)),
                name: t.name,
                repos: t.repos,
                registration: false,
            }),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the token is not valid",
            )),
        }
    }
}

/// A new random token (`hoist_` and 48 hex digits).
pub(crate) fn new_token() -> String {
    format!("hoist_{}", random_hex(24))
}
