//! `hoist secret` and `hoist oidc`: a server's secrets (set from stdin, listed by name,
//! deleted, the key they are sealed with rotated) and its OIDC issuer's signing key.

use clap::{Args, Subcommand};

use super::ServerFlags;

/// A secret's scope: the organisation (neither flag), a repository, or one of its
/// environments.
#[derive(Debug, Args, Clone)]
pub(crate) struct SecretScopeFlags {
    /// The repository's secret (else the organisation's, which every repository sees).
    #[arg(long, short = 'R', env = "HOIST_REPO", value_name = "NAME")]
    pub(crate) repo: Option<String>,
    /// An environment's secret (needs `--repo`): released only to jobs that target it.
    #[arg(long = "env", value_name = "ENVIRONMENT", requires = "repo")]
    pub(crate) environment: Option<String>,
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "Values are sealed with AES-256-GCM under the server's key (`<data dir>/secret-key`, mode 0600, or `--secret-key-file`/`HOIST_SECRET_KEY` at `hoist serve`) and never shown again. A job sees the organisation's secrets, overlaid by its repository's, overlaid by its environment's."
)]
pub(crate) enum SecretCommand {
    /// Set a secret; its value is read from stdin (one trailing newline dropped).
    Set {
        /// Letters, digits and `_`; case-insensitive.
        name: String,
        #[command(flatten)]
        scope: SecretScopeFlags,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// List secrets by name (never their values): the organisation's, or a repository's
    /// and its environments'.
    List {
        #[command(flatten)]
        scope: SecretScopeFlags,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Delete a secret.
    Delete {
        name: String,
        #[command(flatten)]
        scope: SecretScopeFlags,
        #[command(flatten)]
        server: ServerFlags,
    },
    /// Seal every secret under a new key, in one transaction; the key file keeps the new
    /// key and the one before it (a second rotation drops that one).
    RotateKey {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
}

#[derive(Debug, Subcommand)]
#[command(
    after_help = "The server is an OpenID Connect issuer for its jobs: `<server>/.well-known/openid-configuration` and `/.well-known/jwks`. A job whose `permissions` grant `id-token: write` gets `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as on GitHub."
)]
pub(crate) enum OidcCommand {
    /// Sign new tokens with a new key; the previous key stays published until the next
    /// rotation, so tokens already out still verify.
    RotateKey {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerFlags,
    },
}
