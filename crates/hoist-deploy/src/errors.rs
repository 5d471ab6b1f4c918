//! Errors of the GitOps core.

/// Why an ApplicationSet template did not render.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("template `{template}`: {message}")]
    Syntax { template: String, message: String },
    #[error("template `{template}`: no parameter `{key}` (the generator gives: {known})")]
    MissingKey {
        template: String,
        key: String,
        known: String,
    },
    #[error("template `{template}`: {message}")]
    Execution { template: String, message: String },
}
