//! Hoist's syntax verdicts against PostgreSQL's own parser: every statement the server parses
//! must parse for `hoist check migrations` too.
//!
//! The corpus is this crate's SQL fixtures, the example's migrations, and PostgreSQL's
//! regression SQL (from Debian's `postgresql-15` source package, fetched by `cargo xtask
//! setup`, not committed), split into statements as psql splits them (`statements.rs`) and
//! sent one by one, in the regression schedule's order, to a throwaway server. A statement
//! counts as parsed by PostgreSQL unless its error was raised by the raw parser (the error's
//! source file is the grammar or the scanner): a later error (an unknown table, a permission)
//! means the grammar accepted it, which is all a syntax check decides.
//!
//! Statements that PostgreSQL parses and squawk's parser does not are listed with a reason in
//! `tests/data/syntax-differential/known-disagreements.txt`; the test fails on any other, and
//! on a listed one that now agrees, so the list stays true.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::statements;

/// Where PostgreSQL's raw parser raises its errors (`gram.y` and `scan.l` are compiled with
/// `#line` directives, so errors name them rather than the generated C).
const PARSER_SOURCES: &[&str] = &["gram.y", "scan.l", "parser.c", "gram.c", "scan.c"];

/// A statement running longer than this is cancelled (it was parsed by then).
const STATEMENT_LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug, PartialEq)]
enum Verdict {
    /// Parsed, and then run, or refused after parsing with this error.
    Parsed(Option<String>),
    Rejected(String),
    /// The session ended under the statement (it terminated its own backend, say).
    Lost,
}

/// One file of the corpus: a name for reports and its SQL.
struct Script {
    name: String,
    text: String,
}

#[test]
fn statements_postgres_parses_parse_for_hoist() {
    let regress = hoist_testbed::tools::corpus("postgresql-regress").join("src/test/regress");
    let mut scripts = own_fixtures();
    let (regress_scripts, unreadable) = regress_scripts(&regress);
    scripts.extend(regress_scripts);

    let pg = hoist_postgres::Postgres::throwaway().unwrap();
    let admin = pg.conninfo("postgres").unwrap();
    Client::connect(&admin, NoTls)
        .unwrap()
        .batch_execute("CREATE DATABASE regression")
        .unwrap();
    let conninfo = pg.conninfo("regression").unwrap();

    let known = known_disagreements();
    let mut disagreements: BTreeMap<String, Disagreement> = BTreeMap::new();
    let mut ours_refused = Vec::new();
    let (mut parsed, mut rejected, mut lost, mut rejected_by_both, mut copies) = (0, 0, 0, 0, 0);
    let started = Instant::now();
    for script in &scripts {
        let mut session = Session::connect(&conninfo);
        let ours = script.name.contains("syntax-differential/");
        for statement in statements::split(&script.text) {
            if statements::is_client_copy(&statement.text) {
                copies += 1;
                continue;
            }
            let at = format!("{}:{}", script.name, statement.line);
            let hoist = hoist_migrations::syntax_errors(&statement.text);
            match session.verdict(&statement.text) {
                Verdict::Parsed(server_error) => {
                    parsed += 1;
                    if let Some(first) = hoist.first() {
                        let what = format!(
                            "{}\n      hoist: {} (at {}:{} of the statement)\n      postgres: {}",
                            excerpt(&statement.text),
                            first.message,
                            first.span.start.line,
                            first.span.start.column,
                            server_error.as_deref().unwrap_or("(ran without error)")
                        );
                        disagreements.insert(
                            at,
                            Disagreement {
                                what,
                                refused_later: server_error.is_some(),
                            },
                        );
                    }
                }
                Verdict::Rejected(message) => {
                    rejected += 1;
                    if !hoist.is_empty() {
                        rejected_by_both += 1;
                    }
                    if ours {
                        ours_refused.push(format!("  {at}: {message}"));
                    }
                }
                Verdict::Lost => {
                    lost += 1;
                    session = Session::connect(&conninfo);
                }
            }
        }
    }
    eprintln!(
        "{} scripts ({} unreadable as UTF-8), {parsed} statements parsed by PostgreSQL, \
         {rejected} rejected by its parser ({rejected_by_both} also by Hoist), {lost} lost \
         their session, {copies} copies of client data skipped; {} disagreements ({:.2}% \
         agreement) in {:.1} s",
        scripts.len(),
        unreadable,
        disagreements.len(),
        100.0 * (parsed - disagreements.len()) as f64 / parsed.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    assert!(
        parsed >= 500,
        "the corpus must hold at least 500 statements PostgreSQL parses, it has {parsed}"
    );
    assert!(
        ours_refused.is_empty(),
        "the fixtures in syntax-differential/ are meant to be valid, but PostgreSQL's parser \
         refuses:\n{}",
        ours_refused.join("\n")
    );
    let mut problems = Vec::new();
    for (at, d) in &disagreements {
        match known.get(at) {
            None => problems.push(format!("  {at} (not listed): {}", d.what)),
            Some(Known::Later) if !d.refused_later => problems.push(format!(
                "  {at} (listed as refused later, but PostgreSQL ran it): {}",
                d.what
            )),
            Some(_) => {}
        }
    }
    for at in known.keys().filter(|at| !disagreements.contains_key(*at)) {
        problems.push(format!(
            "  {at}: listed as a disagreement but Hoist now agrees (remove it from the list)"
        ));
    }
    assert!(
        problems.is_empty(),
        "Hoist's syntax verdicts differ from PostgreSQL's parser, or the list of known \
         disagreements is out of date ({}):\n{}",
        KNOWN_LIST,
        problems.join("\n")
    );
}

/// A statement PostgreSQL's parser takes and Hoist calls invalid.
struct Disagreement {
    what: String,
    /// PostgreSQL refused the statement after parsing it, so it is invalid either way.
    refused_later: bool,
}

/// How a known disagreement is explained in the list.
#[derive(Debug, PartialEq)]
enum Known {
    /// squawk's parser refuses what PostgreSQL refuses after parsing (in analysis or
    /// execution): the statement is invalid either way, only the stage differs.
    Later,
    /// A gap of squawk's grammar: valid SQL that Hoist reports as invalid.
    Gap,
}

const KNOWN_LIST: &str = "tests/data/syntax-differential/known-disagreements.txt";

/// A connection to the server, with a watchdog that cancels a statement that runs too long.
struct Session {
    client: Client,
    running: Arc<Mutex<Option<Instant>>>,
    done: Arc<AtomicBool>,
}

impl Session {
    fn connect(conninfo: &str) -> Self {
        let client = Client::connect(conninfo, NoTls).unwrap();
        let running: Arc<Mutex<Option<Instant>>> = Arc::default();
        let done: Arc<AtomicBool> = Arc::default();
        let cancel = client.cancel_token();
        let (watched, finished) = (running.clone(), done.clone());
        std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let overdue = watched
                    .lock()
                    .unwrap()
                    .is_some_and(|since| since.elapsed() > STATEMENT_LIMIT);
                if overdue {
                    let _ = cancel.cancel_query(NoTls);
                    *watched.lock().unwrap() = None;
                }
            }
        });
        Self {
            client,
            running,
            done,
        }
    }

    fn verdict(&mut self, sql: &str) -> Verdict {
        *self.running.lock().unwrap() = Some(Instant::now());
        let result = self.client.batch_execute(sql);
        *self.running.lock().unwrap() = None;
        match result {
            Ok(()) => Verdict::Parsed(None),
            Err(e) => match e.as_db_error() {
                Some(db) if db.file().is_some_and(|f| PARSER_SOURCES.contains(&f)) => {
                    Verdict::Rejected(db.message().to_owned())
                }
                Some(db) => Verdict::Parsed(Some(db.message().to_owned())),
                None if self.client.is_closed() => Verdict::Lost,
                // An error of the protocol rather than the server (a COPY it started): the
                // statement was parsed.
                None => Verdict::Parsed(Some(e.to_string())),
            },
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// The crate's fixtures and the example's migrations: SQL written for this project.
fn own_fixtures() -> Vec<Script> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        root.join("tests/data"),
        root.join("../../examples/platform/db"),
    ] {
        collect_sql(&dir, &mut files);
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            Some(Script { name, text })
        })
        .collect()
}

fn collect_sql(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_sql(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}

/// The regression files in the order of `parallel_schedule` (so that each finds the objects
/// the earlier ones create, as in PostgreSQL's own runs), then any the schedule does not name;
/// and how many are not UTF-8 (skipped: the client sends text).
fn regress_scripts(regress: &Path) -> (Vec<Script>, usize) {
    let schedule = std::fs::read_to_string(regress.join("parallel_schedule")).unwrap();
    let mut names: Vec<String> = schedule
        .lines()
        .filter_map(|l| l.strip_prefix("test:"))
        .flat_map(|tests| tests.split_whitespace().map(str::to_owned))
        .collect();
    let mut rest: Vec<String> = std::fs::read_dir(regress.join("sql"))
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".sql"))
                .map(str::to_owned)
        })
        .filter(|n| !names.contains(n))
        .collect();
    rest.sort();
    names.extend(rest);
    let mut unreadable = 0;
    let scripts = names
        .into_iter()
        .filter_map(|name| {
            let bytes = std::fs::read(regress.join("sql").join(format!("{name}.sql"))).ok()?;
            match String::from_utf8(bytes) {
                Ok(text) => Some(Script {
                    name: format!("regress/{name}.sql"),
                    text,
                }),
                Err(_) => {
                    unreadable += 1;
                    None
                }
            }
        })
        .collect();
    (scripts, unreadable)
}

/// `file:line` of each known disagreement, with how it is explained.
fn known_disagreements() -> BTreeMap<String, Known> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KNOWN_LIST);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut known = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(at), Some(kind)) = (words.next(), words.next()) else {
            panic!(
                "{KNOWN_LIST}:{}: expected `FILE:LINE later|gap REASON`",
                n + 1
            );
        };
        let kind = match kind {
            "later" => Known::Later,
            "gap" => Known::Gap,
            other => panic!(
                "{KNOWN_LIST}:{}: `{other}` is neither `later` nor `gap`",
                n + 1
            ),
        };
        known.insert(at.to_owned(), kind);
    }
    known
}

/// The statement's first line(s), short enough for a report.
fn excerpt(sql: &str) -> String {
    let one_line: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 160 {
        format!("{}…", one_line.chars().take(160).collect::<String>())
    } else {
        one_line
    }
}
