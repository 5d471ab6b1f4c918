//! A PostgreSQL to work on: a throwaway server (`initdb` into a temporary directory, started
//! on a socket of its own, removed afterwards) or a database the user names, reached through
//! PostgreSQL's own `psql` and `pg_dump`.
//!
//! Guarantees: a throwaway server listens on a Unix socket only (no TCP port, so nothing else
//! on the machine reaches it), runs as the `postgres` user when the caller is root (PostgreSQL
//! refuses root), and is stopped and its directory removed when the [`Postgres`] is dropped.

mod errors;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use errors::Error;

/// How to reach a database, for `psql` and `pg_dump`.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    /// `-h SOCKET -p PORT -U postgres -d DB`, or a connection URL.
    connection: Vec<String>,
    /// The throwaway server, if this is one: stopped and removed when dropped.
    server: Option<Server>,
}

#[derive(Debug)]
struct Server {
    child: Child,
    root: PathBuf,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's "fast shutdown": sessions are ended, nothing is waited for.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        );
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The directory of PostgreSQL's programs: `$HOIST_POSTGRES_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian's layout), else wherever `initdb` is on `PATH`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("HOIST_POSTGRES_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|d| d.join("initdb").is_file());
    versions.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return Some(newest);
    }
    dir_on_path("initdb")
}

impl Postgres {
    /// A database given by URL (`postgres://user@host:port/db`); it should be empty.
    pub fn at(url: &str) -> Result<Self, Error> {
        let bin = bin_dir()
            .or_else(|| dir_on_path("psql"))
            .ok_or(Error::NoClient)?;
        Ok(Self {
            bin,
            connection: vec!["--dbname".to_owned(), url.to_owned()],
            server: None,
        })
    }

    /// Starts a throwaway server and waits until it accepts connections.
    pub fn throwaway() -> Result<Self, Error> {
        let bin = bin_dir().ok_or(Error::NoServer)?;
        let root = std::env::temp_dir().join(format!(
            "hoist-postgres-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let directory = |source| Error::Directory {
            path: root.clone(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(directory)?;
        let owner = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(Error::NoPostgresUser)?;
            nix::unistd::chown(&root, Some(user.uid), Some(user.gid)).map_err(|source| {
                Error::Chown {
                    path: root.clone(),
                    source,
                }
            })?;
            Some((user.uid.as_raw(), user.gid.as_raw()))
        } else {
            None
        };
        let as_owner = |program: &Path| {
            let mut c = Command::new(program);
            if let Some((uid, gid)) = owner {
                use std::os::unix::process::CommandExt;
                c.uid(uid).gid(gid);
            }
            c.current_dir(&root);
            c
        };
        let data = root.join("data");
        let init = as_owner(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .map_err(|source| Error::Spawn {
                program: "initdb".to_owned(),
                source,
            })?;
        if !init.status.success() {
            let _ = std::fs::remove_dir_all(&root);
            return Err(Error::Initdb {
                stderr: String::from_utf8_lossy(&init.stderr).trim().to_owned(),
            });
        }
        // The port only names the socket file (`.s.PGSQL.<port>`) since no TCP address is
        // listened on; a free TCP port is still taken so that `psql -p` reads naturally.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_or(54329, |a| a.port());
        let log = root.join("server.log");
        let log_file = std::fs::File::create(&log).map_err(directory)?;
        if let Some((uid, gid)) = owner {
            let _ = nix::unistd::chown(
                &log,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            );
        }
        let child = as_owner(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&root)
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-p"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|source| Error::Spawn {
                program: "postgres".to_owned(),
                source,
            })?;
        let pg = Self {
            bin,
            connection: vec![
                "-h".to_owned(),
                root.display().to_string(),
                "-p".to_owned(),
                port.to_string(),
                "-U".to_owned(),
                "postgres".to_owned(),
                "-d".to_owned(),
                "postgres".to_owned(),
            ],
            server: Some(Server {
                child,
                root: root.clone(),
                port,
            }),
        };
        let waited = Duration::from_secs(30);
        let deadline = Instant::now() + waited;
        loop {
            let probe = pg.run_sql("SELECT 1");
            if probe.as_ref().is_ok_and(|o| o.status.success()) {
                return Ok(pg);
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                let last = log.lines().last().unwrap_or("(the server wrote nothing)");
                return Err(Error::NotReady {
                    seconds: waited.as_secs(),
                    last: last.to_owned(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs SQL with `psql`, stopping at the first error.
    pub fn run_sql(&self, sql: &str) -> Result<Output, Error> {
        let spawn = |source| Error::Spawn {
            program: "psql".to_owned(),
            source,
        };
        let mut child = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(&self.connection)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn)?;
        if let Some(mut stdin) = child.stdin.take() {
            // A psql that exits early (cannot connect) closes its input: its status says why.
            let _ = stdin.write_all(sql.as_bytes());
        }
        child.wait_with_output().map_err(spawn)
    }

    /// The schema as `pg_dump --schema-only` prints it, without what changes from dump to dump
    /// (comments, settings, the random `\restrict` key of newer pg_dumps).
    pub fn schema(&self) -> Result<Vec<String>, Error> {
        let dump = |restrict_key: bool| {
            let mut c = Command::new(self.bin.join("pg_dump"));
            c.args(["--schema-only", "--no-owner", "--no-privileges"]);
            if restrict_key {
                c.args(["--restrict-key", "hoist"]);
            }
            c.args(&self.connection)
                .output()
                .map_err(|source| Error::Spawn {
                    program: "pg_dump".to_owned(),
                    source,
                })
        };
        let mut out = dump(true)?;
        // Older pg_dumps do not know --restrict-key: try again without it.
        if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("restrict-key") {
            out = dump(false)?;
        }
        if !out.status.success() {
            return Err(Error::Dump {
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim_end)
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("--")
                    && !l.starts_with("SET ")
                    && !l.starts_with("SELECT pg_catalog.set_config")
                    && !l.starts_with("\\restrict")
                    && !l.starts_with("\\unrestrict")
            })
            .map(str::to_owned)
            .collect())
    }

    /// Whether this is a server Hoist started (and will remove).
    pub fn is_throwaway(&self) -> bool {
        self.server.is_some()
    }

    /// A libpq connection string for `database` on the throwaway server (a client library
    /// connects with it; `host` is the socket's directory). `None` for a database given by URL.
    pub fn conninfo(&self, database: &str) -> Option<String> {
        let server = self.server.as_ref()?;
        Some(format!(
            "host={} port={} user=postgres dbname={database}",
            server.root.display(),
            server.port
        ))
    }
}

fn dir_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join(program).is_file())
}
