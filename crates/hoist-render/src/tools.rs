//! The rendering tools: where `helm` and `kustomize` (or `kubectl kustomize`) are, and
//! running them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::RenderError;

/// Paths of the tools, configured or found on `PATH`.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    pub helm: Option<PathBuf>,
    pub kustomize: Option<PathBuf>,
    pub kubectl: Option<PathBuf>,
}

impl Tools {
    /// The configured paths, each else the program of that name on `PATH`.
    pub fn find(
        helm: Option<PathBuf>,
        kustomize: Option<PathBuf>,
        kubectl: Option<PathBuf>,
    ) -> Tools {
        Tools {
            helm: helm.or_else(|| on_path("helm")),
            kustomize: kustomize.or_else(|| on_path("kustomize")),
            kubectl: kubectl.or_else(|| on_path("kubectl")),
        }
    }

    pub(crate) fn helm(&self) -> Result<&Path, RenderError> {
        self.helm.as_deref().ok_or_else(|| RenderError::ToolMissing {
            tool: "helm".into(),
            hint: "install Helm 3 or 4 (https://helm.sh/docs/intro/install/) or set `[apps] helm` in hoist.toml".into(),
        })
    }

    /// `kustomize build`, else `kubectl kustomize`.
    pub(crate) fn kustomize(&self) -> Result<(&Path, &'static [&'static str]), RenderError> {
        if let Some(k) = &self.kustomize {
            return Ok((k, &["build"]));
        }
        if let Some(k) = &self.kubectl {
            return Ok((k, &["kustomize"]));
        }
        Err(RenderError::ToolMissing {
            tool: "kustomize".into(),
            hint: "install kustomize or kubectl (which carries it) or set `[apps] kustomize` in hoist.toml".into(),
        })
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs a tool, returning its standard output; a failure carries the tool's own message.
pub(crate) fn run(command: &mut Command, tool: &str, app: &str) -> Result<String, RenderError> {
    let shown = format!(
        "{} {}",
        Path::new(command.get_program())
            .file_name()
            .map_or_else(|| tool.into(), |n| n.to_string_lossy().into_owned()),
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = command.output().map_err(|e| RenderError::ToolMissing {
        tool: tool.to_owned(),
        hint: format!(
            "cannot run `{}`: {e}",
            command.get_program().to_string_lossy()
        ),
    })?;
    if !out.status.success() {
        return Err(RenderError::ToolFailed {
            app: app.to_owned(),
            command: shown,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    String::from_utf8(out.stdout).map_err(|_| RenderError::Invalid {
        app: app.to_owned(),
        message: format!("`{tool}` printed output that is not UTF-8"),
    })
}
