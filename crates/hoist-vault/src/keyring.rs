//! The keyring: its file format, sealing and opening, rotation.
//!
//! The file is text, one key per line, newest first:
//!
//! ```text
//! # comment lines start with `#`
//! v1 <key id> <base64 of 32 random bytes>
//! ```

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::VaultError;

const KEY_LEN: usize = 32;
const SEAL_PREFIX: &str = "hoist:v1:";

/// One key: its id (8 hex digits, random) and its bytes.
struct Key {
    id: String,
    bytes: [u8; KEY_LEN],
    aead: LessSafeKey,
}

impl Key {
    fn new(id: String, bytes: [u8; KEY_LEN]) -> Self {
        // 32 bytes is AES-256-GCM's key length, so this cannot fail.
        #[allow(clippy::unwrap_used)]
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &bytes).unwrap());
        Self { id, bytes, aead }
    }

    fn generate() -> Result<Self, VaultError> {
        let rng = SystemRandom::new();
        let mut bytes = [0u8; KEY_LEN];
        rng.fill(&mut bytes).map_err(|_| VaultError::Random)?;
        let mut id = [0u8; 4];
        rng.fill(&mut id).map_err(|_| VaultError::Random)?;
        let id = id.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self::new(id, bytes))
    }
}

/// The keys a server seals and opens secrets with; the first is the current one.
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    // Ids only: a keyring printed in a log must not give its keys away.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("keys", &ids).finish()
    }
}

impl Keyring {
    /// A keyring of one new random key.
    pub fn generate() -> Result<Self, VaultError> {
        Ok(Self {
            keys: vec![Key::generate()?],
        })
    }

    /// Reads a keyring's text; `origin` names where it came from in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, VaultError> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = |message: String| VaultError::Malformed {
                origin: origin.to_owned(),
                line: n + 1,
                message,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [version, id, key] = fields[..] else {
                return Err(malformed("expected `v1 <key id> <base64 key>`".to_owned()));
            };
            if version != "v1" {
                return Err(malformed(format!(
                    "unknown key format `{version}`; this Hoist reads `v1`"
                )));
            }
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(malformed(format!(
                    "the key id `{id}` must be letters and digits"
                )));
            }
            if keys.iter().any(|k: &Key| k.id == id) {
                return Err(malformed(format!("the key id `{id}` appears twice")));
            }
            let bytes = BASE64
                .decode(key)
                .map_err(|e| malformed(format!("the key is not base64: {e}")))?;
            let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
                malformed(format!(
                    "the key is {} bytes long; AES-256 keys are {KEY_LEN}",
                    b.len()
                ))
            })?;
            keys.push(Key::new(id.to_owned(), bytes));
        }
        if keys.is_empty() {
            return Err(VaultError::Empty {
                origin: origin.to_owned(),
            });
        }
        Ok(Self { keys })
    }

    /// The keyring's text, as [`Keyring::parse`] reads it.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# Hoist's secret keys, newest first. Keep this file private: with the database it\n\
             # opens every secret. `hoist secret rotate-key` replaces it.\n",
        );
        for key in &self.keys {
            text.push_str(&format!("v1 {} {}\n", key.id, BASE64.encode(key.bytes)));
        }
        text
    }

    /// Reads the keyring at `path`, or creates one there (mode 0600) when there is no file;
    /// the flag says whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), VaultError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                refuse_exposed(path)?;
                Ok((Self::parse(&text, &path.display().to_string())?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Self::generate()?;
                ring.save(path)?;
                Ok((ring, true))
            }
            Err(source) => Err(VaultError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Reads the keyring at `path`, which must exist.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        let text = std::fs::read_to_string(path).map_err(|source| VaultError::Read {
            path: path.to_owned(),
            source,
        })?;
        refuse_exposed(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Writes the keyring to `path` (mode 0600) by replacing the file whole: a reader sees
    /// the old keyring or the new one, never a mix.
    pub fn save(&self, path: &Path) -> Result<(), VaultError> {
        let write = |source| VaultError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(write)?;
        restrict(file.path()).map_err(write)?;
        file.write_all(self.render().as_bytes()).map_err(write)?;
        file.as_file().sync_all().map_err(write)?;
        file.persist(path).map_err(|e| write(e.error))?;
        Ok(())
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// The ids of every key, newest first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// This keyring with a new current key in front; the old keys still open what they
    /// sealed.
    pub fn rotated(&self) -> Result<Self, VaultError> {
        let mut keys = vec![Key::generate()?];
        keys.extend(self.keys.iter().map(|k| Key::new(k.id.clone(), k.bytes)));
        Ok(Self { keys })
    }

    /// This keyring with its current key alone: once every value is sealed with it.
    pub fn current_only(&self) -> Self {
        self.newest(1)
    }

    /// This keyring with its current key and the one before it: what a rotation leaves, so
    /// that a value sealed with the previous key while the rotation ran still opens.
    pub fn current_and_previous(&self) -> Self {
        self.newest(2)
    }

    fn newest(&self, n: usize) -> Self {
        Self {
            keys: self
                .keys
                .iter()
                .take(n)
                .map(|k| Key::new(k.id.clone(), k.bytes))
                .collect(),
        }
    }

    /// Seals `plaintext` for the slot `slot` under the current key.
    pub fn seal(&self, slot: &str, plaintext: &[u8]) -> Result<String, VaultError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| VaultError::Random)?;
        let mut buffer = plaintext.to_vec();
        key.aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(slot.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| VaultError::Random)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&buffer);
        Ok(format!("{SEAL_PREFIX}{}:{}", key.id, BASE64.encode(sealed)))
    }

    /// Opens a value that [`Keyring::seal`] sealed for the same `slot`.
    pub fn open(&self, slot: &str, sealed: &str) -> Result<Vec<u8>, VaultError> {
        let bad = |message: &str| VaultError::BadSeal {
            message: message.to_owned(),
        };
        let id = sealed_key_id(sealed).ok_or_else(|| bad("it does not start `hoist:v1:`"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| VaultError::UnknownKey { id: id.to_owned() })?;
        let body = &sealed[SEAL_PREFIX.len() + id.len() + 1..];
        let bytes = BASE64
            .decode(body)
            .map_err(|_| bad("its body is not base64"))?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(bad("it is too short"));
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad("bad nonce"))?;
        let mut buffer = rest.to_vec();
        let plain = key
            .aead
            .open_in_place(nonce, Aad::from(slot.as_bytes()), &mut buffer)
            .map_err(|_| VaultError::Tampered { id: id.to_owned() })?;
        Ok(plain.to_vec())
    }

    /// Opens `sealed` and seals its value again under the current key.
    pub fn reseal(&self, slot: &str, sealed: &str) -> Result<String, VaultError> {
        let plain = self.open(slot, sealed)?;
        self.seal(slot, &plain)
    }
}

/// The id of the key that sealed `sealed`, if it is a sealed value.
pub fn sealed_key_id(sealed: &str) -> Option<&str> {
    let rest = sealed.strip_prefix(SEAL_PREFIX)?;
    let (id, _) = rest.split_once(':')?;
    Some(id)
}

#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn refuse_exposed(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|source| VaultError::Read {
            path: path.to_owned(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(VaultError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_exposed(_: &Path) -> Result<(), VaultError> {
    Ok(())
}
