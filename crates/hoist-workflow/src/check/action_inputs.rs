//! `with:` of a step against the inputs its action declares: an input the action does not
//! have is ignored (GitHub warns "Unexpected input"), a required one left out is usually a
//! mistake, a deprecated one is on its way out. Metadata comes from the action's own
//! `action.yml` where it can be read (local actions, `$/` actions, the action cache), else
//! from Hoist's table of the actions it runs natively.

use hoist_diagnostics::Diagnostic;

use super::RuleContext;
use crate::action::parse_action;
use crate::lower::list;
use crate::model::{ActionRef, Step};
use crate::suggest::did_you_mean;

/// An input name, and whether it is required (with no default).
type Input = (&'static str, bool);

/// The inputs of the actions Hoist runs natively, from their `action.yml` at the majors
/// Hoist implements.
const BUILT_IN: &[(&str, &[Input])] = &[
    (
        "checkout",
        &[
            ("repository", false),
            ("ref", false),
            ("token", false),
            ("ssh-key", false),
            ("ssh-known-hosts", false),
            ("ssh-strict", false),
            ("ssh-user", false),
            ("persist-credentials", false),
            ("path", false),
            ("clean", false),
            ("filter", false),
            ("sparse-checkout", false),
            ("sparse-checkout-cone-mode", false),
            ("fetch-depth", false),
            ("fetch-tags", false),
            ("show-progress", false),
            ("lfs", false),
            ("submodules", false),
            ("set-safe-directory", false),
            ("github-server-url", false),
        ],
    ),
    (
        "cache",
        &[
            ("path", true),
            ("key", true),
            ("restore-keys", false),
            ("upload-chunk-size", false),
            ("enableCrossOsArchive", false),
            ("fail-on-cache-miss", false),
            ("lookup-only", false),
            ("save-always", false),
        ],
    ),
    (
        "cache/restore",
        &[
            ("path", true),
            ("key", true),
            ("restore-keys", false),
            ("enableCrossOsArchive", false),
            ("fail-on-cache-miss", false),
            ("lookup-only", false),
        ],
    ),
    (
        "cache/save",
        &[
            ("path", true),
            ("key", true),
            ("upload-chunk-size", false),
            ("enableCrossOsArchive", false),
        ],
    ),
    (
        "upload-artifact",
        &[
            ("name", false),
            ("path", true),
            ("if-no-files-found", false),
            ("retention-days", false),
            ("compression-level", false),
            ("overwrite", false),
            ("include-hidden-files", false),
        ],
    ),
    (
        "download-artifact",
        &[
            ("name", false),
            ("path", false),
            ("pattern", false),
            ("merge-multiple", false),
            ("github-token", false),
            ("repository", false),
            ("run-id", false),
            ("artifact-ids", false),
        ],
    ),
    (
        "setup-go",
        &[
            ("go-version", false),
            ("go-version-file", false),
            ("check-latest", false),
            ("token", false),
            ("cache", false),
            ("cache-dependency-path", false),
            ("architecture", false),
        ],
    ),
    (
        "setup-node",
        &[
            ("always-auth", false),
            ("node-version", false),
            ("node-version-file", false),
            ("architecture", false),
            ("check-latest", false),
            ("registry-url", false),
            ("scope", false),
            ("token", false),
            ("cache", false),
            ("package-manager-cache", false),
            ("cache-dependency-path", false),
            ("mirror", false),
            ("mirror-token", false),
        ],
    ),
    (
        "setup-python",
        &[
            ("python-version", false),
            ("python-version-file", false),
            ("cache", false),
            ("architecture", false),
            ("check-latest", false),
            ("token", false),
            ("cache-dependency-path", false),
            ("update-environment", false),
            ("allow-prereleases", false),
            ("freethreaded", false),
            ("pip-version", false),
            ("pip-install", false),
        ],
    ),
    (
        "setup-java",
        &[
            ("java-version", false),
            ("java-version-file", false),
            ("distribution", true),
            ("java-package", false),
            ("architecture", false),
            ("jdkFile", false),
            ("check-latest", false),
            ("server-id", false),
            ("server-username", false),
            ("server-password", false),
            ("settings-path", false),
            ("overwrite-settings", false),
            ("gpg-private-key", false),
            ("gpg-passphrase", false),
            ("cache", false),
            ("cache-dependency-path", false),
            ("job-status", false),
            ("token", false),
            ("mvn-toolchain-id", false),
            ("mvn-toolchain-vendor", false),
        ],
    ),
];

/// What is known of an action's inputs: name, required, deprecation message.
struct Known {
    label: String,
    inputs: Vec<(String, bool, Option<String>)>,
}

pub(super) fn check(ctx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for job in ctx.workflow.jobs.values() {
        for step in &job.steps {
            let Some(uses) = &step.uses else { continue };
            let Some(known) = metadata(ctx, &uses.value) else {
                continue;
            };
            check_step(step, uses.span, &known, out);
        }
    }
}

fn metadata(ctx: &RuleContext<'_>, action: &ActionRef) -> Option<Known> {
    if matches!(action, ActionRef::Docker(_)) {
        return None;
    }
    let label = action.to_string();
    if let Some(text) = ctx.others.read_action(action) {
        let parsed = parse_action(&text).ok()?;
        let inputs = parsed
            .inputs
            .into_iter()
            .map(|(name, input)| {
                (
                    name,
                    input.required && input.default.is_none(),
                    input.deprecation_message,
                )
            })
            .collect();
        return Some(Known { label, inputs });
    }
    let ActionRef::Repository {
        owner, repo, path, ..
    } = action
    else {
        return None;
    };
    if owner != "actions" {
        return None;
    }
    let name = match path {
        Some(p) => format!("{repo}/{p}"),
        None => repo.clone(),
    };
    let (_, inputs) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
    Some(Known {
        label,
        inputs: inputs
            .iter()
            .map(|(n, required)| ((*n).to_owned(), *required, None))
            .collect(),
    })
}

fn check_step(
    step: &Step,
    uses_span: hoist_diagnostics::Span,
    known: &Known,
    out: &mut Vec<Diagnostic>,
) {
    // Input names are matched without case, as the runner does.
    let find = |name: &str| {
        known
            .inputs
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
    };
    for (key, (span, _)) in &step.with {
        // `args` and `entrypoint` belong to Docker actions, which are not checked here.
        match find(key) {
            None => {
                let d = Diagnostic::warning(
                    "unknown-action-input",
                    *span,
                    format!("`{}` has no input `{key}`; it is ignored", known.label),
                );
                let names: Vec<&str> = known.inputs.iter().map(|(n, _, _)| n.as_str()).collect();
                out.push(match did_you_mean(key, names.iter().copied()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!("its inputs are {}", list(&names))),
                });
            }
            Some((name, _, Some(message))) => out.push(Diagnostic::warning(
                "deprecated-action-input",
                *span,
                format!(
                    "input `{name}` of `{}` is deprecated: {}",
                    known.label,
                    message.trim()
                ),
            )),
            Some(_) => {}
        }
    }
    for (name, required, _) in &known.inputs {
        if *required && !step.with.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            out.push(
                Diagnostic::warning(
                    "missing-action-input",
                    uses_span,
                    format!(
                        "`{}` needs the input `{name}`, which this step does not give",
                        known.label
                    ),
                )
                .with_hint(format!("add `{name}:` under `with:`")),
            );
        }
    }
}
