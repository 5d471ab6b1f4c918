//! Integration tests of the workflow model and checker.

#![allow(clippy::unwrap_used)] // a panic is how a test reports failure

mod fixtures;
mod matrix;
mod pipeline;
mod properties;
mod triggers;

use std::path::{Path, PathBuf};

use hoist_diagnostics::{FileReport, render_human};
use hoist_workflow::{WorkflowSource, check_workflow};

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Resolves `.github/workflows/<name>` to a file of the given directory.
pub(crate) struct Directory(pub(crate) PathBuf);

impl WorkflowSource for Directory {
    fn read(&self, path: &str) -> Option<String> {
        let name = Path::new(path).file_name()?;
        std::fs::read_to_string(self.0.join(name)).ok()
    }

    /// Local actions of the fixtures live below the fixtures' directory.
    fn read_action(&self, action: &hoist_workflow::model::ActionRef) -> Option<String> {
        match action {
            hoist_workflow::model::ActionRef::Local(p) => {
                std::fs::read_to_string(self.0.join(p.trim_start_matches("./")).join("action.yml"))
                    .ok()
            }
            _ => None,
        }
    }
}

/// Checks `file` and renders its diagnostics the way `hoist check` prints them.
pub(crate) fn render_check(file: &Path, shown_as: &str) -> (String, usize) {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = Directory(file.parent().unwrap().to_path_buf());
    let parsed = check_workflow(&text, &dir);
    let mut report = FileReport {
        path: shown_as.to_owned(),
        text,
        diagnostics: parsed.diagnostics,
    };
    report.sort();
    (render_human(&report), report.diagnostics.len())
}

/// Compares `actual` with the file at `path`; with `UPDATE_EXPECT=1`, writes it instead.
pub(crate) fn check_snapshot(path: &Path, actual: &str) -> Result<(), String> {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(path, actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).map_err(|_| {
        format!(
            "{} is missing; run with UPDATE_EXPECT=1 to create it",
            path.display()
        )
    })?;
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "{} differs (run with UPDATE_EXPECT=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ))
    }
}
