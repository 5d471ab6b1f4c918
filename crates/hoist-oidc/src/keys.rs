//! RS256 signing keys, their JWKs, and what the issuer publishes.
//!
//! The key is generated with the `rsa` crate (ring signs but cannot generate RSA keys) and
//! kept as PKCS#8; signing is ring's RSA PKCS#1 v1.5 with SHA-256, which is what RS256 is.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ring::rand::SecureRandom;
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use crate::OidcError;

/// Bits of a generated key: what GitHub's keys have.
const KEY_BITS: usize = 2048;

/// An RSA key that signs tokens, with its key id (`kid`).
pub struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    // The id only: a key printed in a log must not give itself away.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// A new random key with a random id.
    pub fn generate() -> Result<Self, OidcError> {
        use rsa::pkcs8::EncodePrivateKey;
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, KEY_BITS)
            .map_err(|e| OidcError::Generate(e.to_string()))?;
        let der = private
            .to_pkcs8_der()
            .map_err(|e| OidcError::Generate(e.to_string()))?;
        let mut id = [0u8; 8];
        ring::rand::SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| OidcError::Random)?;
        let kid = id.iter().map(|b| format!("{b:02x}")).collect();
        Self::from_pkcs8(kid, der.as_bytes().to_vec())
    }

    /// A key read back from its PKCS#8 form.
    pub fn from_pkcs8(kid: String, pkcs8: Vec<u8>) -> Result<Self, OidcError> {
        let pair = RsaKeyPair::from_pkcs8(&pkcs8).map_err(|e| OidcError::BadKey {
            kid: kid.clone(),
            message: e.to_string(),
        })?;
        Ok(Self { kid, pkcs8, pair })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private key as PKCS#8 DER, to be kept sealed.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as a JWK (RFC 7517), as GitHub publishes its keys.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        let components: ring::rsa::PublicKeyComponents<Vec<u8>> = public.into();
        json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": B64URL.encode(trim_zeros(&components.n)),
            "e": B64URL.encode(trim_zeros(&components.e)),
        })
    }

    /// `claims` as a signed JWT (RFC 7519): header `{"alg":"RS256","typ":"JWT","kid":…}`.
    pub fn sign(&self, claims: &Value) -> Result<String, OidcError> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| OidcError::Sign {
                kid: self.kid.clone(),
            })?;
        Ok(format!("{input}.{}", B64URL.encode(signature)))
    }
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The discovery document (OpenID Connect Discovery 1.0) of `issuer`, with what GitHub's
/// says about itself.
pub fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks"),
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": crate::claims::CLAIMS_SUPPORTED,
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
    })
}

/// The JWKS of `keys`: the current key and those still published.
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> Value {
    json!({"keys": keys.into_iter().map(SigningKey::jwk).collect::<Vec<_>>()})
}
