//! A PostgreSQL to try migrations on: a throwaway server (`initdb` into a temporary directory,
//! started on a socket of its own, removed afterwards) or a database the user names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How to reach the database, for `psql` and `pg_dump`.
#[derive(Debug)]
pub(crate) struct Postgres {
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
}

impl Drop for Server {
    fn drop(&mut self) {
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
fn bin_dir() -> Option<PathBuf> {
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
    which_dir("initdb")
}

impl Postgres {
    /// A database given by URL (`postgres://user@host:port/db`); it should be empty.
    pub(crate) fn at(url: &str) -> anyhow::Result<Self> {
        let bin = bin_dir()
            .or_else(|| which_dir("psql"))
            .context("`psql` and `pg_dump` are needed; install PostgreSQL's client (Debian: `apt-get install postgresql-client`)")?;
        Ok(Self {
            bin,
            connection: vec!["--dbname".to_owned(), url.to_owned()],
            server: None,
        })
    }

    /// Starts a throwaway server. As root, the server runs as the `postgres` user (PostgreSQL
    /// refuses to run as root); the temporary directory is given to it.
    pub(crate) fn throwaway() -> anyhow::Result<Self> {
        let bin = bin_dir().context(
            "cannot start PostgreSQL: no `initdb` found; install the server (Debian: `apt-get install postgresql-15`) or set `HOIST_POSTGRES_BIN`",
        )?;
        let root = std::env::temp_dir().join(format!(
            "hoist-postgres-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create `{}`", root.display()))?;
        let owner = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .context("cannot start PostgreSQL as root without a `postgres` user to run it (Debian's packages create one)")?;
            nix::unistd::chown(&root, Some(user.uid), Some(user.gid))
                .with_context(|| format!("cannot give `{}` to `postgres`", root.display()))?;
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
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .context("cannot run `initdb`")?;
        if !init.status.success() {
            let _ = std::fs::remove_dir_all(&root);
            bail!(
                "cannot start PostgreSQL: `initdb` failed: {}",
                String::from_utf8_lossy(&init.stderr).trim()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(54329);
        let child = as_owner(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-k"])
            .arg(&root)
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-p"])
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start `postgres`")?;
        let server = Server {
            child,
            root: root.clone(),
        };
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
            server: Some(server),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if pg.run_sql("SELECT 1").is_ok_and(|o| o.status.success()) {
                return Ok(pg);
            }
            if Instant::now() > deadline {
                bail!("cannot start PostgreSQL: the server did not accept connections within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs SQL with `psql`, stopping at the first error.
    pub(crate) fn run_sql(&self, sql: &str) -> anyhow::Result<Output> {
        let mut child = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(&self.connection)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run `psql`")?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(sql.as_bytes());
        }
        child.wait_with_output().context("`psql` did not finish")
    }

    /// The schema as `pg_dump --schema-only` prints it, without what changes from dump to dump
    /// (comments, settings, the random `\restrict` key of newer pg_dumps).
    pub(crate) fn schema(&self) -> anyhow::Result<Vec<String>> {
        let dump = |restrict_key: bool| {
            let mut c = Command::new(self.bin.join("pg_dump"));
            c.args(["--schema-only", "--no-owner", "--no-privileges"]);
            if restrict_key {
                c.args(["--restrict-key", "hoist"]);
            }
            c.args(&self.connection)
                .output()
                .context("cannot run `pg_dump`")
        };
        let mut out = dump(true)?;
        // Older pg_dumps do not know --restrict-key: try again without it.
        if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("restrict-key") {
            out = dump(false)?;
        }
        if !out.status.success() {
            bail!(
                "`pg_dump` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
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
    pub(crate) fn is_throwaway(&self) -> bool {
        self.server.is_some()
    }
}

fn which_dir(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join(program).is_file())
}
