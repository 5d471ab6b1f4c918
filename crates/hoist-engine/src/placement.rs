//! Whether a job runs on this machine: `runs-on` labels of other platforms and jobs that need
//! a container are left out, each with the reason and the flag that changes it, rather than
//! run on the wrong operating system and reported green.

use hoist_workflow::model::Job;
use serde_json::Value as Json;

use crate::contexts::{ExprScope, eval_node, json_to_text};

/// What to do with jobs that declare `container:` or `services:`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContainerMode {
    /// Leave them out (there is no container executor yet).
    #[default]
    Skip,
    /// Run them on this machine anyway, with a warning.
    Host,
}

/// The labels of `runs-on`: a string, a list, or `{group, labels}`.
pub(crate) fn wanted_labels(job: &Job, scope: &ExprScope<'_>) -> Result<Vec<String>, String> {
    let Some(node) = &job.runs_on else {
        return Ok(Vec::new());
    };
    Ok(match eval_node(node, scope)? {
        Json::String(s) => vec![s],
        Json::Array(items) => items.iter().map(json_to_text).collect(),
        Json::Object(o) => match o.get("labels") {
            Some(Json::Array(items)) => items.iter().map(json_to_text).collect(),
            Some(v) => vec![json_to_text(v)],
            None => Vec::new(),
        },
        other => vec![json_to_text(&other)],
    })
}

/// The first label that names another platform than this machine's (`windows-latest`,
/// `macos-14`, `ubuntu-24.04-arm` on an x64 machine) and that the user has not mapped to this
/// machine (`ours`: `--runner-label L=host` and `[runner] labels`).
pub(crate) fn foreign_label<'a>(wanted: &'a [String], ours: &[String]) -> Option<&'a String> {
    wanted
        .iter()
        .filter(|w| !ours.iter().any(|o| o.eq_ignore_ascii_case(w)))
        .find(|w| is_other_platform(w, std::env::consts::OS, std::env::consts::ARCH))
}

/// Whether a GitHub-hosted or conventional self-hosted label names a platform other than
/// `os`/`arch` (Rust's names: `linux`, `macos`, `windows`; `x86_64`, `aarch64`).
pub(crate) fn is_other_platform(label: &str, os: &str, arch: &str) -> bool {
    let l = label.to_ascii_lowercase();
    let label_os = if l.starts_with("windows") {
        Some("windows")
    } else if l.starts_with("macos") {
        Some("macos")
    } else if l.starts_with("ubuntu") || l == "linux" {
        Some("linux")
    } else {
        None
    };
    if label_os.is_some_and(|o| o != os) {
        return true;
    }
    // Architectures: the self-hosted labels, and GitHub's `-arm` images.
    let label_arch = match l.as_str() {
        "x64" => Some("x86_64"),
        "arm64" => Some("aarch64"),
        "arm" => Some("arm"),
        _ if l.ends_with("-arm") || l.ends_with("-arm64") => Some("aarch64"),
        // macOS images of GitHub are arm64 unless named `-large`/`-13`; the OS already
        // tells them apart from this machine.
        _ => None,
    };
    label_arch.is_some_and(|a| a != arch)
}

/// Why a job must not run here, if it must not; `ours` are the labels mapped to this machine.
pub(crate) fn reason_not_here(
    job: &Job,
    wanted: &[String],
    ours: &[String],
    containers: ContainerMode,
) -> Option<String> {
    if let Some(label) = foreign_label(wanted, ours) {
        return Some(format!(
            "skipped: no runner for `{label}` here; map it with `--runner-label {label}=host` \
             or `[runner] labels`"
        ));
    }
    if containers == ContainerMode::Skip
        && let Some(what) = container_need(job)
    {
        return Some(format!(
            "skipped: the job runs {what}, and Hoist has no container executor yet; run it on \
             this machine instead with `--container-mode host`"
        ));
    }
    None
}

/// What containers the job asks for, as shown in messages: "in `alpine:3.20`", "with the
/// services `db`, `cache`".
pub(crate) fn container_need(job: &Job) -> Option<String> {
    let image = job
        .container
        .as_ref()
        .map(|c| c.image.as_ref().map_or("a container", |i| i.value.as_str()));
    let services: Vec<String> = job.services.keys().map(|s| format!("`{s}`")).collect();
    match (image, services.is_empty()) {
        (None, true) => None,
        (Some(i), true) => Some(format!("in `{i}`")),
        (None, false) => Some(format!("with the services {}", services.join(", "))),
        (Some(i), false) => Some(format!(
            "in `{i}` with the services {}",
            services.join(", ")
        )),
    }
}

/// `runner.os` and `RUNNER_OS` of this machine, in GitHub's spelling.
pub(crate) fn runner_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "macOS",
        "windows" => "Windows",
        _ => "Linux",
    }
}

/// `runner.arch` and `RUNNER_ARCH` of this machine, in GitHub's spelling.
pub(crate) fn runner_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "ARM64",
        "arm" => "ARM",
        "x86" => "X86",
        _ => "X64",
    }
}

#[cfg(test)]
mod tests {
    use super::is_other_platform;

    #[test]
    fn labels_of_other_platforms() {
        let check = |label: &str, os: &str, arch: &str, expect: bool| {
            assert_eq!(
                is_other_platform(label, os, arch),
                expect,
                "{label} on {os}/{arch}"
            );
        };
        for label in [
            "ubuntu-latest",
            "ubuntu-24.04",
            "linux",
            "Linux",
            "self-hosted",
            "x64",
            "gpu",
        ] {
            check(label, "linux", "x86_64", false);
        }
        for label in [
            "windows-latest",
            "windows-2022",
            "Windows",
            "macos-latest",
            "macOS",
            "macos-13",
        ] {
            check(label, "linux", "x86_64", true);
        }
        for label in ["ubuntu-24.04-arm", "ubuntu-22.04-arm", "ARM64", "arm"] {
            check(label, "linux", "x86_64", true);
        }
        check("ubuntu-24.04-arm", "linux", "aarch64", false);
        check("x64", "linux", "aarch64", true);
        check("macos-14", "macos", "aarch64", false);
        check("ubuntu-latest", "macos", "aarch64", true);
    }
}
