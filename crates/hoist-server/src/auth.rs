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
    let token = format!("hoist_{}", random_hex(24));
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

/// A caller that presented a valid token.
#[derive(Debug)]
pub(crate) struct Caller {
    pub(crate) name: String,
}

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
        if same(&digest(token.trim()), &state.admin_digest) {
            return Ok(Caller {
                name: "admin".to_owned(),
            });
        }
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the token is not valid",
        ))
    }
}
