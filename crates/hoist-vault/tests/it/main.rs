//! The keyring: sealing binds a value to its slot, rotation keeps old values readable, the
//! key file is private and replaced whole.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

use hoist_vault::{Keyring, VaultError, sealed_key_id};

#[test]
fn a_sealed_value_opens_only_in_its_own_slot() {
    let ring = Keyring::generate().unwrap();
    let sealed = ring.seal("repo/platform//DEPLOY_TOKEN", b"s3cr3t").unwrap();
    assert!(!sealed.contains("s3cr3t"));
    assert_eq!(sealed_key_id(&sealed), Some(ring.current_id()));
    assert_eq!(
        ring.open("repo/platform//DEPLOY_TOKEN", &sealed).unwrap(),
        b"s3cr3t"
    );
    // The same value sealed twice differs (fresh nonce), and both open.
    let again = ring.seal("repo/platform//DEPLOY_TOKEN", b"s3cr3t").unwrap();
    assert_ne!(sealed, again);
    // Moved to another row, it does not open.
    let moved = ring.open("repo/other//DEPLOY_TOKEN", &sealed).unwrap_err();
    assert!(matches!(moved, VaultError::Tampered { .. }), "{moved}");
    // One flipped byte of the body, and it does not open either.
    let mut bytes = sealed.clone().into_bytes();
    let at = bytes.len() - 3;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(bytes).unwrap();
    assert!(matches!(
        ring.open("repo/platform//DEPLOY_TOKEN", &flipped)
            .unwrap_err(),
        VaultError::Tampered { .. } | VaultError::BadSeal { .. }
    ));
    assert!(matches!(
        ring.open("x", "plain text").unwrap_err(),
        VaultError::BadSeal { .. }
    ));
}

#[test]
fn a_rotated_keyring_opens_old_values_and_seals_new_ones_with_its_new_key() {
    let old = Keyring::generate().unwrap();
    let sealed = old.seal("slot", b"value").unwrap();
    let rotated = old.rotated().unwrap();
    assert_ne!(rotated.current_id(), old.current_id());
    assert_eq!(rotated.ids(), vec![rotated.current_id(), old.current_id()]);
    assert_eq!(rotated.open("slot", &sealed).unwrap(), b"value");
    let resealed = rotated.reseal("slot", &sealed).unwrap();
    assert_eq!(sealed_key_id(&resealed), Some(rotated.current_id()));
    // Once every value is resealed the old key goes; what it sealed no longer opens.
    let new_only = rotated.current_only();
    assert_eq!(new_only.open("slot", &resealed).unwrap(), b"value");
    let gone = new_only.open("slot", &sealed).unwrap_err();
    assert!(
        matches!(&gone, VaultError::UnknownKey { id } if id == old.current_id()),
        "{gone}"
    );
}

#[test]
fn the_key_file_is_created_private_and_read_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret-key");
    let (ring, created) = Keyring::load_or_create(&path).unwrap();
    assert!(created);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let sealed = ring.seal("slot", b"v").unwrap();
    let (again, created) = Keyring::load_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(again.open("slot", &sealed).unwrap(), b"v");
    // Saving a rotation replaces the file; it stays private.
    again.rotated().unwrap().save(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(Keyring::load(&path).unwrap().ids().len(), 2);
    // A key file others can read is refused, naming the fix.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let exposed = Keyring::load(&path).unwrap_err().to_string();
    assert!(exposed.contains("chmod 600"), "{exposed}");
}

#[test]
fn malformed_key_files_name_the_line() {
    let check = |text: &str, expect: &str| {
        let e = Keyring::parse(text, "keys.txt").unwrap_err().to_string();
        assert!(e.contains(expect), "{e} lacks {expect}");
    };
    check("# nothing\n", "keys.txt holds no key");
    check(
        "# c\nv1 abc\n",
        "keys.txt, line 2: expected `v1 <key id> <base64 key>`",
    );
    check("v2 a AAAA\n", "unknown key format `v2`");
    check("v1 a !!!\n", "the key is not base64");
    check(
        "v1 a AAAA\n",
        "the key is 3 bytes long; AES-256 keys are 32",
    );
    let one = Keyring::generate().unwrap().render();
    let line = one.lines().last().unwrap();
    check(&format!("{line}\n{line}\n"), "appears twice");
    // What render writes, parse reads.
    let ring = Keyring::parse(&one, "x").unwrap();
    assert_eq!(ring.render(), one);
}
