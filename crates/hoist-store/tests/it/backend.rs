//! The two databases every store test runs on: an SQLite file in a temporary directory, and
//! a real PostgreSQL server (Debian's, started by `hoist-postgres` for the test and removed
//! after it).

use hoist_store::{Location, Store};

#[derive(Clone, Copy, Debug)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database of one backend, and a directory for the test's other files.
pub(crate) struct TestDb {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) location: Location,
    server: Option<hoist_postgres::Postgres>,
}

impl TestDb {
    pub(crate) fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Self {
                location: Location::Sqlite(dir.path().join("h.db")),
                dir,
                server: None,
            },
            Backend::Postgres => {
                let server = hoist_postgres::Postgres::throwaway()
                    .expect("PostgreSQL is installed (`cargo xtask setup`)");
                Self {
                    location: Location::Postgres(server.conninfo("postgres").unwrap()),
                    dir,
                    server: Some(server),
                }
            }
        }
    }

    /// A new connection to the database.
    pub(crate) fn open(&self) -> Store {
        Store::open_at(&self.location).unwrap()
    }

    /// A second, separate database of the same backend.
    pub(crate) fn other(&self, name: &str) -> Store {
        match &self.server {
            None => Store::open(&self.dir.path().join(format!("{name}.db"))).unwrap(),
            Some(server) => {
                let made = server.run_sql(&format!("CREATE DATABASE {name}")).unwrap();
                assert!(made.status.success(), "{made:?}");
                Store::open_at(&Location::Postgres(server.conninfo(name).unwrap())).unwrap()
            }
        }
    }

    /// Runs SQL on the database outside the store (to damage or age it).
    pub(crate) fn run_sql(&self, sql: &str) {
        match (&self.server, &self.location) {
            (Some(server), _) => {
                let ran = server.run_sql(sql).unwrap();
                assert!(ran.status.success(), "{ran:?}");
            }
            (None, Location::Sqlite(path)) => {
                rusqlite::Connection::open(path)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap();
            }
            (None, Location::Postgres(_)) => {
                unreachable!("a PostgreSQL test database has its server")
            }
        }
    }
}

/// `both!(name, …)`: tests `name::sqlite` and `name::postgres`, each calling `name(backend)`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(crate::backend::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name(crate::backend::Backend::Postgres)
            }
        }
    )*};
}
pub(crate) use both;
