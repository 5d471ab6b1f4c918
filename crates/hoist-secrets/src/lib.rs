//! Secret scanning, gitleaks-compatible: loads gitleaks TOML configurations unchanged and
//! finds what gitleaks finds, with an Aho-Corasick keyword prefilter so that each file runs
//! only the rules whose keywords it contains, and rule regexes compiled on first use.
//!
//! Pure: text in, findings out. Walking directories, reading git history and writing reports
//! to files is the caller's job.

mod config;
pub mod decode;
mod detect;
mod errors;
pub mod patch;
pub mod report;
mod suppress;
mod translate;
mod window;

pub use config::{Allowlist, Config, LazyRegex, ReadConfig, RegexTarget, Rule, Source};
pub use detect::{CommitInfo, DEFAULT_DECODE_DEPTH, Finding, Scanner, shannon_entropy};
pub use errors::ConfigError;
pub use suppress::{Suppressions, stable_fingerprint};
pub use translate::translate;
pub use window::Reach;

/// Hoist's own rules, written from the providers' documented token formats.
pub const BUILTIN_RULES: &str = include_str!("builtin.toml");

/// The built-in configuration.
pub fn builtin_config() -> Config {
    let read = |p: &str| Err(format!("the built-in rules cannot extend `{p}`"));
    let builtin = Config::default;
    Config::load(&Source {
        path: "<built-in rules>",
        text: BUILTIN_RULES,
        read: &read,
        builtin: &builtin,
    })
    .unwrap_or_default()
}
