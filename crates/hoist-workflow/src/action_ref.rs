//! Parsing the `uses:` of a step into an [`ActionRef`].

use crate::model::ActionRef;

/// Parses `./local`, `$/path` (the workflow's own repository), `owner/repo@ref`,
/// `owner/repo/path@ref` or `docker://image`.
pub fn parse_action_ref(s: &str) -> Result<ActionRef, String> {
    let s = s.trim();
    if let Some(path) = s.strip_prefix("$/") {
        if path.trim_matches('/').is_empty() {
            return Err(
                "`$/` needs the action's path in this repository, e.g. `$/.github/actions/build`"
                    .to_owned(),
            );
        }
        return Ok(ActionRef::SelfRepository(
            path.trim_start_matches('/').to_owned(),
        ));
    }
    if let Some(image) = s.strip_prefix("docker://") {
        if image.is_empty() {
            return Err("`docker://` needs an image name".to_owned());
        }
        return Ok(ActionRef::Docker(image.to_owned()));
    }
    if s.starts_with("./") || s == "." {
        return Ok(ActionRef::Local(s.to_owned()));
    }
    if s.contains("${{") {
        return Err(format!(
            "`uses: {s}` cannot contain an expression: actions are resolved before the job runs"
        ));
    }
    let Some((path, git_ref)) = s.rsplit_once('@') else {
        return Err(format!(
            "`{s}` names no version: add `@` and a tag, branch or commit SHA"
        ));
    };
    if git_ref.is_empty() {
        return Err(format!("`{s}` has an empty version after `@`"));
    }
    let mut parts = path.splitn(3, '/');
    let owner = parts.next().unwrap_or_default();
    let repo = parts.next().unwrap_or_default();
    if owner.is_empty() || repo.is_empty() {
        return Err(format!("`{s}` is not of the form `owner/repo@ref`"));
    }
    let sub = parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    Ok(ActionRef::Repository {
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        path: sub,
        git_ref: git_ref.to_owned(),
    })
}

/// Parses a reusable-workflow reference of a job's `uses:`: a local `./.github/workflows/x.yml`
/// or a remote `owner/repo/.github/workflows/x.yml@ref`. Returns the local path for local ones.
pub fn local_workflow_path(s: &str) -> Option<&str> {
    let s = s.trim();
    // `$/path`: the workflow's own repository at the calling workflow's commit.
    s.strip_prefix("./")
        .or_else(|| s.strip_prefix("$/"))
        .map(|rest| rest.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse_action_ref("./.github/actions/x"),
            Ok(ActionRef::Local("./.github/actions/x".into()))
        );
        assert_eq!(
            parse_action_ref("actions/checkout@v4"),
            Ok(ActionRef::Repository {
                owner: "actions".into(),
                repo: "checkout".into(),
                path: None,
                git_ref: "v4".into()
            })
        );
        assert_eq!(
            parse_action_ref("github/codeql-action/init@v3"),
            Ok(ActionRef::Repository {
                owner: "github".into(),
                repo: "codeql-action".into(),
                path: Some("init".into()),
                git_ref: "v3".into()
            })
        );
        assert_eq!(
            parse_action_ref("docker://alpine:3.20"),
            Ok(ActionRef::Docker("alpine:3.20".into()))
        );
        assert_eq!(
            parse_action_ref("$/.github/actions/build"),
            Ok(ActionRef::SelfRepository(".github/actions/build".into()))
        );
        assert!(parse_action_ref("$/").is_err());
        assert_eq!(
            local_workflow_path("$/.github/workflows/plan.yml"),
            Some(".github/workflows/plan.yml")
        );
        assert!(parse_action_ref("actions/checkout").is_err());
        assert!(parse_action_ref("checkout@v4").is_err());
    }
}
