//! Storage against a real S3-compatible server (`s3s-fs`, started on loopback) and a local
//! directory: the same operations must behave the same on both.

use hoist_storage::{ObjectInfo, Storage, StorageError, StorageSettings};
use hoist_testbed::S3Server;

fn s3_settings(server: &S3Server, prefix: &str) -> StorageSettings {
    StorageSettings {
        url: format!("s3://{}/{prefix}", server.bucket),
        endpoint: Some(server.endpoint()),
        access_key_id: Some(server.access_key.clone()),
        secret_access_key: Some(server.secret_key.clone()),
        ..StorageSettings::default()
    }
}

/// Every operation, on one storage.
fn exercise(storage: &Storage) {
    let url = storage
        .put("logs/app/1.log.gz", b"hello".to_vec())
        .expect("put");
    assert_eq!(url, format!("{}/logs/app/1.log.gz", storage.url()));
    assert_eq!(storage.key_of(&url), Some("logs/app/1.log.gz"));
    storage
        .put("logs/app/2.log.gz", b"0123456789".to_vec())
        .expect("put");
    storage
        .put("metrics/v1/dt=2026-11-26/app/3.ndjson", b"{}\n".to_vec())
        .expect("put under a key with `=`");
    assert_eq!(storage.get("logs/app/1.log.gz").expect("get"), b"hello");
    assert_eq!(
        storage.get_range("logs/app/2.log.gz", 3..7).expect("range"),
        b"3456"
    );
    assert_eq!(
        storage.list("logs").expect("list"),
        vec![
            ObjectInfo {
                key: "logs/app/1.log.gz".into(),
                size: 5
            },
            ObjectInfo {
                key: "logs/app/2.log.gz".into(),
                size: 10
            },
        ]
    );
    assert_eq!(storage.list("").expect("list all").len(), 3);
    // Overwriting replaces.
    storage
        .put("logs/app/1.log.gz", b"bye".to_vec())
        .expect("overwrite");
    assert_eq!(storage.get("logs/app/1.log.gz").expect("get"), b"bye");
    // Create-only writes: the first wins, a second changes nothing.
    assert!(
        storage
            .put_new("locks/staging.json", b"first".to_vec())
            .expect("put_new")
    );
    assert!(
        !storage
            .put_new("locks/staging.json", b"second".to_vec())
            .expect("put_new again")
    );
    assert_eq!(storage.get("locks/staging.json").expect("get"), b"first");
    storage
        .delete("locks/staging.json")
        .expect("delete the lock");
    assert!(
        storage
            .put_new("locks/staging.json", b"third".to_vec())
            .expect("put_new after delete")
    );
    storage.delete("logs/app/1.log.gz").expect("delete");
    match storage.get("logs/app/1.log.gz") {
        Err(StorageError::NotFound { key, .. }) => assert_eq!(key, "logs/app/1.log.gz"),
        other => panic!("expected not found, got {other:?}"),
    }
}

#[test]
fn file_storage_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}/blobs", dir.path().display());
    let storage = Storage::open(&StorageSettings {
        url,
        ..Default::default()
    })
    .expect("open");
    exercise(&storage);
    assert!(
        dir.path().join("blobs/logs/app/2.log.gz").is_file(),
        "objects are plain files"
    );
}

#[test]
fn s3_storage_round_trips() {
    let server = S3Server::start();
    let storage = Storage::open(&s3_settings(&server, "team/ci")).expect("open");
    exercise(&storage);
    // The prefix is honoured: objects sit under it in the bucket.
    assert!(
        server
            .root
            .path()
            .join(&server.bucket)
            .join("team/ci/logs/app/2.log.gz")
            .is_file()
    );
}

#[test]
fn wrong_credentials_are_named_as_such() {
    let server = S3Server::start();
    let mut settings = s3_settings(&server, "");
    settings.secret_access_key = Some("not-the-secret".into());
    let storage = Storage::open(&settings).expect("open");
    let err = storage
        .put("x", b"1".to_vec())
        .expect_err("must be refused");
    assert!(matches!(err, StorageError::Denied { .. }), "{err:?}");
    assert!(!err.is_transient());
    assert!(err.to_string().contains("refused the credentials"), "{err}");
}

#[test]
fn a_stopped_server_is_unreachable_and_transient() {
    let mut server = S3Server::start();
    let storage = Storage::open(&s3_settings(&server, "")).expect("open");
    storage.put("before", b"1".to_vec()).expect("put while up");
    server.stop();
    let err = storage
        .put("during", b"2".to_vec())
        .expect_err("server is down");
    assert!(matches!(err, StorageError::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
    server.restart();
    storage
        .put("after", b"3".to_vec())
        .expect("put after restart");
    assert_eq!(storage.get("before").expect("get"), b"1");
}

#[test]
fn bad_urls_are_refused_with_the_reason() {
    for (url, reason) in [
        (
            "ftp://x/y",
            "expected `file:///path` or `s3://bucket/prefix`",
        ),
        ("file://relative/dir", "absolute path"),
        ("s3:///prefix", "bucket name is missing"),
    ] {
        let err = Storage::open(&StorageSettings {
            url: url.into(),
            ..Default::default()
        })
        .expect_err(url);
        let text = err.to_string();
        assert!(text.contains(url) && text.contains(reason), "{url}: {text}");
    }
}
