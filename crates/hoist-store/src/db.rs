//! One SQL connection, to SQLite or to PostgreSQL, behind one small interface.
//!
//! The store's queries are written once, in the SQL both databases understand, with `?N`
//! placeholders (rewritten to `$N` for PostgreSQL). Values cross as [`Value`]s: PostgreSQL is
//! strictly typed, so a value is converted to the type the server inferred for its parameter
//! (an integer bound where text is expected is sent as its digits, as SQLite would store it).
//!
//! Guarantees:
//! - [`Db::write`] runs its closure in a transaction that holds the database's write lock from
//!   its first statement (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL a transaction-scoped
//!   advisory lock that every Hoist writer takes), so writers are serialised the same way on
//!   both and a read inside never has to be upgraded. It commits when the closure returns `Ok`
//!   and rolls back otherwise, and also when the closure panics.
//! - Statements are prepared once per connection and cached.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error as StdError;

use crate::StoreError;

/// The advisory lock every PostgreSQL write transaction of Hoist takes ("hoist" in ASCII).
const WRITE_LOCK: i64 = 0x0068_6f69_7374;

/// A value bound to a statement or read from a row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// What can be bound as a statement's argument.
pub(crate) trait ToValue {
    fn to_value(&self) -> Value;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u64, usize, u16);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// A statement's arguments: `args![a, b]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::db::ToValue::to_value(&$e)),*][..]
    };
}
pub(crate) use args;

/// What a column can be read as.
pub(crate) trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
    const KIND: &'static str;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Int(i) => <$t>::try_from(*i).ok(),
                    _ => None,
                }
            }
            const KIND: &'static str = stringify!($t);
        }
    )*};
}
int_from_value!(i64, i32, u32, u64, usize, u16);

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
    const KIND: &'static str = "bool";
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    const KIND: &'static str = "f64";
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    const KIND: &'static str = "text";
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
    const KIND: &'static str = "blob";
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
    const KIND: &'static str = T::KIND;
}

/// One result row.
#[derive(Debug)]
pub(crate) struct Row(Vec<Value>);

impl Row {
    /// Column `index` as a `T`; an error naming the column when it holds something else.
    pub(crate) fn get<T: FromValue>(&self, index: usize) -> Result<T, StoreError> {
        let value = self.0.get(index).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| StoreError::Column {
            index,
            wanted: T::KIND,
            found: value.kind(),
        })
    }
}

/// Where the database is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database: a `postgres://` URL or a libpq `key=value` string.
    Postgres(String),
}

impl Location {
    /// `postgres://…`, `postgresql://…` and `key=value` strings name PostgreSQL; anything
    /// else is an SQLite file's path.
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") || t.contains("dbname=") {
            Location::Postgres(t.to_owned())
        } else {
            Location::Sqlite(std::path::PathBuf::from(t))
        }
    }
}

impl std::fmt::Display for Location {
    /// The location without a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// `url` with any password replaced by `***`.
fn redact(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let scheme = &url[..url.len() - rest.len()];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            return format!("{scheme}{}:***{}", &authority[..colon], &rest[at..]);
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|pair| {
            if pair.starts_with("password=") {
                "password=***".to_owned()
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An open connection.
pub(crate) struct Db {
    backend: Backend,
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<Pg>>),
}

struct Pg {
    /// Always present; taken only when dropped (see `Drop`).
    client: Option<postgres::Client>,
    /// Prepared statements by their `?N` text.
    statements: HashMap<String, postgres::Statement>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.backend {
            Backend::Sqlite(_) => "Db(sqlite)",
            Backend::Postgres(_) => "Db(postgres)",
        })
    }
}

impl Db {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Self {
        Self {
            backend: Backend::Sqlite(conn),
        }
    }

    pub(crate) fn postgres(client: postgres::Client) -> Self {
        Self {
            backend: Backend::Postgres(Box::new(RefCell::new(Pg {
                client: Some(client),
                statements: HashMap::new(),
            }))),
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Runs one statement; returns how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, args: &[Value]) -> Result<usize, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(args.iter()))?)
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let stmt = pg.statement(sql)?;
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    args.iter().map(|a| a as _).collect();
                Ok(blocking(|| pg.client().execute(&stmt, &params))? as usize)
            }
        }
    }

    /// Runs a query and maps each row with `f`.
    pub(crate) fn query_map<T>(
        &self,
        sql: &str,
        args: &[Value],
        mut f: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql, args)?.iter().map(&mut f).collect()
    }

    /// The first row of a query, mapped with `f`; `None` when there is none.
    pub(crate) fn query_row_opt<T>(
        &self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.rows(sql, args)?.first().map(f).transpose()
    }

    /// The first row of a query, mapped with `f`; an error when there is none.
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.query_row_opt(sql, args, f)?.ok_or(StoreError::NoRow)
    }

    fn rows(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let width = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(width);
                    for i in 0..width {
                        values.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                            rusqlite::types::ValueRef::Real(f) => Value::Real(f),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(std::str::from_utf8(t).map_or_else(
                                    |_| String::from_utf8_lossy(t).into_owned(),
                                    str::to_owned,
                                ))
                            }
                            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                        });
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let stmt = pg.statement(sql)?;
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    args.iter().map(|a| a as _).collect();
                let rows = blocking(|| pg.client().query(&stmt, &params))?;
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.try_get::<_, Value>(i))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Row)
                            .map_err(StoreError::from)
                    })
                    .collect()
            }
        }
    }

    /// Leaves this connection's WAL checkpoints to [`Db::checkpoint`] (SQLite; PostgreSQL
    /// has none to leave).
    pub(crate) fn defer_checkpoints(&self) -> Result<(), StoreError> {
        if let Backend::Sqlite(conn) = &self.backend {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(())
    }

    /// A passive WAL checkpoint: the frames in the log and how many of them are now in the
    /// database file; `None` on PostgreSQL.
    pub(crate) fn checkpoint(&self) -> Result<Option<(i64, i64)>, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(Some(conn.query_row(
                "PRAGMA wal_checkpoint(PASSIVE)",
                [],
                |r| Ok((r.get(1)?, r.get(2)?)),
            )?)),
            Backend::Postgres(_) => Ok(None),
        }
    }

    /// Runs several statements separated by `;`, without arguments.
    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Backend::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                Ok(blocking(|| pg.client().batch_execute(sql))?)
            }
        }
    }

    /// Runs `f` in a write transaction (see the module's guarantees).
    pub(crate) fn write<R>(
        &self,
        f: impl FnOnce(&Db) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => self.batch("BEGIN IMMEDIATE")?,
            Backend::Postgres(_) => {
                self.batch("BEGIN")?;
                if let Err(e) = self.execute("SELECT pg_advisory_xact_lock(?1)", args![WRITE_LOCK])
                {
                    let _ = self.batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        let mut open = Open {
            db: self,
            done: false,
        };
        let result = f(self);
        open.done = true;
        match result {
            Ok(value) => match self.batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = self.batch("ROLLBACK");
                    Err(e)
                }
            },
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// Rolls an open transaction back if its closure panicked, so that the connection can be
/// used again.
struct Open<'a> {
    db: &'a Db,
    done: bool,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.db.batch("ROLLBACK");
        }
    }
}

impl Drop for Pg {
    /// Closing the connection is a blocking call too.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            blocking(move || drop(client));
        }
    }
}

impl Pg {
    fn client(&mut self) -> &mut postgres::Client {
        self.client
            .as_mut()
            .expect("the client is taken only when the connection is dropped")
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let text = dollar_placeholders(sql);
        let stmt = blocking(|| self.client().prepare(&text))?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// Runs a blocking call of the PostgreSQL client. The client drives its own runtime, which
/// may not be entered from a thread that runs async tasks (the server calls the store from
/// its request handlers): on such a thread the call is moved out of the async context first,
/// and the runtime hands the thread's other tasks to its other workers meanwhile.
pub(crate) fn blocking<R>(call: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}

/// `?N` placeholders as PostgreSQL's `$N`, leaving quoted text alone.
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

mod pg_types {
    //! How [`Value`]s cross to and from PostgreSQL's types.

    use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

    use super::{StdError, Value};

    type Boxed = Box<dyn StdError + Sync + Send>;

    fn mismatch(value: &Value, ty: &Type) -> Boxed {
        format!(
            "cannot bind a {} value to a parameter of type `{ty}`",
            value.kind()
        )
        .into()
    }

    impl ToSql for Value {
        fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Boxed> {
            let is_text = matches!(
                *ty,
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
            );
            match self {
                Value::Null => Ok(IsNull::Yes),
                Value::Int(i) => match *ty {
                    Type::INT8 => i.to_sql(ty, out),
                    Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                    Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                    Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                    Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                    Type::BOOL => (*i != 0).to_sql(ty, out),
                    _ if is_text => i.to_string().to_sql(ty, out),
                    _ => Err(mismatch(self, ty)),
                },
                Value::Real(f) => match *ty {
                    Type::FLOAT8 => f.to_sql(ty, out),
                    Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                    _ if is_text => f.to_string().to_sql(ty, out),
                    _ => Err(mismatch(self, ty)),
                },
                Value::Text(s) => match *ty {
                    _ if is_text => s.to_sql(ty, out),
                    _ => Err(mismatch(self, ty)),
                },
                Value::Blob(b) => match *ty {
                    Type::BYTEA => b.to_sql(ty, out),
                    _ => Err(mismatch(self, ty)),
                },
            }
        }

        fn accepts(_: &Type) -> bool {
            true
        }

        to_sql_checked!();
    }

    impl<'a> FromSql<'a> for Value {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Boxed> {
            Ok(match *ty {
                Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
                Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
                Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
                Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
                Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
                Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
                Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    Value::Text(String::from_sql(ty, raw)?)
                }
                _ => return Err(format!("cannot read a column of type `{ty}`").into()),
            })
        }

        fn from_sql_null(_: &Type) -> Result<Self, Boxed> {
            Ok(Value::Null)
        }

        fn accepts(_: &Type) -> bool {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes_become_dollars() {
        assert_eq!(
            dollar_placeholders("SELECT ?1, '?2', \"a?3\" FROM t WHERE x = ?12 AND y ? z"),
            "SELECT $1, '?2', \"a?3\" FROM t WHERE x = $12 AND y ? z"
        );
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://hoist:s3cret@db.example:5432/hoist"),
            "postgres://hoist:***@db.example:5432/hoist"
        );
        assert_eq!(
            redact("postgres://hoist@db/hoist"),
            "postgres://hoist@db/hoist"
        );
        assert_eq!(
            redact("host=/tmp port=5 password=x dbname=h"),
            "host=/tmp port=5 password=*** dbname=h"
        );
    }

    #[test]
    fn locations_are_told_apart() {
        assert!(matches!(
            Location::parse("postgresql://h/db"),
            Location::Postgres(_)
        ));
        assert!(matches!(
            Location::parse("host=/tmp dbname=x"),
            Location::Postgres(_)
        ));
        assert!(matches!(
            Location::parse("data/hoist.db"),
            Location::Sqlite(_)
        ));
    }
}
