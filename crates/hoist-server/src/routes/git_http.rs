//! Git's smart HTTP protocol for hosted repositories (`git clone http://host/git/NAME.git`),
//! served by git's own `git http-backend` as a CGI program: every protocol version, gzip
//! bodies and the dumb protocol come with it, and its `receive-pack` runs the repository's
//! hooks, through which pushes reach the server. Credentials are HTTP basic auth with any
//! user name and a token as the password (or a bearer token): fetching needs `viewer`,
//! pushing `developer`.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hoist_store::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::api_error::ApiError;
use crate::auth::{Caller, caller_for_token};
use crate::state::SharedState;

/// The token in `Authorization`: basic auth's password or a bearer token.
fn token(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(bearer) = value.strip_prefix("Bearer ") {
        return Some(bearer.trim().to_owned());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    Some(password.to_owned())
}

/// 401 with the challenge that makes git ask its credential helper.
fn challenge(message: &str) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, format!("{message}\n")).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Hoist\""),
    );
    response
}

pub(crate) async fn serve(
    State(state): State<SharedState>,
    Path((name, rest)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match answer(state, name, rest, query, method, headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn answer(
    state: SharedState,
    name: String,
    rest: String,
    query: Option<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let name = name.strip_suffix(".git").unwrap_or(&name).to_owned();
    let Some(repo) = state.repo(&name).filter(|r| r.hosted) else {
        return Err(ApiError::not_found(format!(
            "this server hosts no repository `{name}` (`hoist repo list` shows those it has)"
        )));
    };
    let query = query.unwrap_or_default();
    let pushing = rest == "git-receive-pack" || query.contains("service=git-receive-pack");
    let Some(token) = token(&headers) else {
        return Ok(challenge(
            "a token is needed: use it as the password (any user name) or in `Authorization: Bearer`",
        ));
    };
    let caller: Caller = match caller_for_token(&state, &token) {
        Ok(c) => c,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => return Ok(challenge(&e.message)),
        Err(e) => return Err(e),
    };
    caller.require(if pushing {
        Role::Developer
    } else {
        Role::Viewer
    })?;
    caller.require_repo(&repo.name)?;
    if pushing {
        state.refuse_if_draining()?;
    }
    let root = repo
        .path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut command = tokio::process::Command::new("git");
    command
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{name}.git/{rest}"))
        .env("REQUEST_METHOD", method.as_str())
        .env("QUERY_STRING", &query)
        .env("REMOTE_USER", &caller.name)
        .env("REMOTE_ADDR", "127.0.0.1")
        // The hooks tell the server who pushed.
        .env("HOIST_PUSHER", &caller.name)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (variable, name) in [
        ("CONTENT_TYPE", header::CONTENT_TYPE.as_str()),
        ("CONTENT_LENGTH", header::CONTENT_LENGTH.as_str()),
        ("HTTP_CONTENT_ENCODING", header::CONTENT_ENCODING.as_str()),
        ("GIT_PROTOCOL", "git-protocol"),
    ] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            command.env(variable, v);
        }
    }
    let mut child = command
        .spawn()
        .map_err(|e| ApiError::internal(format!("cannot start `git http-backend`: {e}")))?;
    let mut stdin = child.stdin.take();
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| ApiError::internal("no stdout"))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| ApiError::internal("no stderr"))?;
    // The request body goes in while the answer comes out: a large push must not wait for
    // the answer, nor a large fetch for the whole request.
    tokio::spawn(async move {
        let mut body = body.into_data_stream();
        if let Some(input) = stdin.as_mut() {
            while let Some(Ok(chunk)) = body.next().await {
                if input.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        }
        drop(stdin);
    });
    tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = stderr.read_to_end(&mut sink).await;
    });
    // The CGI headers, up to the empty line.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while let Ok(1) = stdout.read(&mut byte).await {
        head.push(byte[0]);
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
        if head.len() > 64 * 1024 {
            return Err(ApiError::internal(
                "`git http-backend` sent no end of its headers",
            ));
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut status = StatusCode::OK;
    let mut response_headers = HeaderMap::new();
    for line in head.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.eq_ignore_ascii_case("status") {
            status = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(key.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response_headers.append(k, v);
        }
    }
    let stream = futures_util::stream::unfold((stdout, child), |(mut out, child)| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match out.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let mut child = child;
                let _ = child.wait().await;
                None
            }
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes_of(buf)), (out, child)))
            }
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    Ok(response)
}

fn bytes_of(buf: Vec<u8>) -> axum::body::Bytes {
    axum::body::Bytes::from(buf)
}
