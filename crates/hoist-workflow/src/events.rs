//! The events that can trigger a workflow, and the keys each accepts under `on:`.

/// Every event name GitHub accepts under `on:`.
pub const EVENTS: &[&str] = &[
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "create",
    "delete",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "gollum",
    "image_version",
    "issue_comment",
    "issues",
    "label",
    "merge_group",
    "milestone",
    "page_build",
    "project",
    "project_card",
    "project_column",
    "public",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_target",
    "push",
    "registry_package",
    "release",
    "repository_dispatch",
    "schedule",
    "status",
    "watch",
    "workflow_call",
    "workflow_dispatch",
    "workflow_run",
];

/// The keys event `name` accepts in its mapping form.
pub fn event_keys(name: &str) -> &'static [&'static str] {
    match name {
        "push" => &[
            "branches",
            "branches-ignore",
            "tags",
            "tags-ignore",
            "paths",
            "paths-ignore",
        ],
        "pull_request" | "pull_request_target" => &[
            "types",
            "branches",
            "branches-ignore",
            "paths",
            "paths-ignore",
        ],
        "workflow_dispatch" => &["inputs"],
        "workflow_call" => &["inputs", "outputs", "secrets"],
        "workflow_run" => &["types", "workflows", "branches", "branches-ignore"],
        "merge_group" => &["types", "branches", "branches-ignore"],
        "image_version" => &["types", "names", "versions"],
        "create" | "delete" | "fork" | "gollum" | "page_build" | "public" | "status" => &[],
        _ => &["types"],
    }
}
