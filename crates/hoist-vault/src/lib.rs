//! Secrets at rest: the server keeps secret values only sealed, under keys of a [`Keyring`].
//!
//! - A value is sealed with AES-256-GCM under the keyring's current key, with a fresh random
//!   96-bit nonce, and with *associated data* naming its slot (repository, environment and
//!   name, or the queued job it travels with): a sealed value copied into another row does
//!   not open there.
//! - A sealed value names the key that sealed it (`hoist:v1:<key id>:<base64>`), so a keyring
//!   of several keys opens values from before a rotation while new ones use the newest key.
//! - The keyring lives in a file that only its owner may read (mode 0600, refused otherwise),
//!   written by replacing the file whole, so a crash never leaves half a key.
//!
//! Nothing here touches a database: the store keeps sealed strings and knows nothing of keys.

mod errors;
mod keyring;

pub use errors::VaultError;
pub use keyring::{Keyring, sealed_key_id};
