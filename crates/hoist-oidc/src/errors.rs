//! What can go wrong with signing keys and tokens.

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
    #[error("the signing key `{kid}` cannot be read: {message}")]
    BadKey { kid: String, message: String },
    #[error("cannot sign the token with key `{kid}`")]
    Sign { kid: String },
    #[error("the system's random source failed")]
    Random,
}
