//! OpenID Connect for jobs: the server is an issuer, as GitHub is for Actions, so that a job
//! gets a short-lived JWT that a cloud trusts instead of a stored credential.
//!
//! - [`SigningKey`]: an RSA key (2048 bits, generated here) that signs RS256 tokens; its
//!   public half is a JWK.
//! - [`discovery`] and [`jwks`]: what `/.well-known/openid-configuration` and
//!   `/.well-known/jwks` answer.
//! - [`JobClaims`]: the claims of a job's token, named and shaped as GitHub's, with the
//!   subject built from GitHub's default template or a repository's own list of claims.
//!
//! Pure: no clock, no IO; the server gives the time and keeps the keys (sealed).

mod claims;
mod errors;
mod keys;

pub use claims::{DEFAULT_SUBJECT_CLAIMS, JobClaims, TOKEN_LIFETIME_SECONDS};
pub use errors::OidcError;
pub use keys::{SigningKey, discovery, jwks};
