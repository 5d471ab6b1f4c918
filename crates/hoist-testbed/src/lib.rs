//! Real servers and tools for tests, started on loopback by the test that needs them.
//!
//! [`tools`]: the pinned test dependencies and [`program`], the one way a test finds one.
//! [`S3Server`]: a real S3-compatible server: `s3s-fs` on a free loopback port, storing objects
//! as files under a temporary directory.

pub mod tools;

pub use tools::program;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct S3Server {
    pub root: tempfile::TempDir,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub port: u16,
    child: Option<Child>,
}

impl S3Server {
    /// Starts a server with one bucket, `hoist-test`.
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        let bucket = "hoist-test".to_owned();
        std::fs::create_dir(root.path().join(&bucket)).expect("bucket directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut server = Self {
            root,
            bucket,
            access_key: "hoist-access".into(),
            secret_key: "hoist-secret-key".into(),
            port,
            child: None,
        };
        server.restart();
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server; its data stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data, and waits until it accepts.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(program("s3s-fs"))
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--access-key",
                &self.access_key,
                "--secret-key",
                &self.secret_key,
            ])
            .arg(self.root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `s3s-fs`");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "s3s-fs did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
