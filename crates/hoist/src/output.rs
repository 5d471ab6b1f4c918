//! Writing to the terminal: the one place the binary prints, so commands stay testable.

use std::io::Write;

/// Prints `text` to standard output as is. A closed pipe (`hoist check | head`) is not an error.
pub(crate) fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints an error line to standard error.
pub(crate) fn error(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {message}");
}

/// Prints a line to standard error, for summaries that must not mix with machine output.
pub(crate) fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}
