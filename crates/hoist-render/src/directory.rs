//! Directory sources: every YAML and JSON file of the path (with `recurse`, of its
//! subdirectories too), filtered by `include` and `exclude` globs as Argo CD applies them.

use std::path::Path;

use hoist_deploy::application::{Application, Source};
use hoist_deploy::manifest::{self, Resource};

use crate::RenderError;

pub(crate) fn read(
    app: &Application,
    s: &Source,
    root: &Path,
) -> Result<Vec<Resource>, RenderError> {
    let dir = s.directory.clone().unwrap_or_default();
    let glob = |pattern: &str| -> Result<Option<globset::GlobMatcher>, RenderError> {
        if pattern.is_empty() {
            return Ok(None);
        }
        globset::Glob::new(pattern)
            .map(|g| Some(g.compile_matcher()))
            .map_err(|e| RenderError::Invalid {
                app: app.metadata.name.clone(),
                message: format!("bad directory pattern `{pattern}`: {e}"),
            })
    };
    let include = glob(&dir.include)?;
    let exclude = glob(&dir.exclude)?;
    let mut files = Vec::new();
    collect(root, root, dir.recurse, &mut files).map_err(|e| RenderError::Io {
        what: root.display().to_string(),
        source: e,
    })?;
    files.sort();
    let mut out = Vec::new();
    for relative in files {
        let matches = |g: &Option<globset::GlobMatcher>| {
            g.as_ref().is_some_and(|g| {
                g.is_match(&relative)
                    || Path::new(&relative)
                        .file_name()
                        .is_some_and(|n| g.is_match(n))
            })
        };
        if (include.is_some() && !matches(&include)) || matches(&exclude) {
            continue;
        }
        let path = root.join(&relative);
        let text = std::fs::read_to_string(&path).map_err(|e| RenderError::Io {
            what: path.display().to_string(),
            source: e,
        })?;
        let resources =
            manifest::parse_manifests(&relative, &text).map_err(|d| RenderError::Invalid {
                app: app.metadata.name.clone(),
                message: format!(
                    "{}:{}:{}: {}",
                    relative,
                    d.span.start.line,
                    d.span.start.column,
                    d.message.trim_start_matches(&format!("{relative}: "))
                ),
            })?;
        out.extend(resources);
    }
    Ok(out)
}

fn collect(root: &Path, dir: &Path, recurse: bool, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            if recurse {
                collect(root, &path, recurse, out)?;
            }
        } else if [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e)) {
            out.push(
                path.strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    Ok(())
}
