//! gitleaks-format configuration: `[[rules]]`, allowlists and `[extend]`, loaded unchanged.
//!
//! Rule regexes are translated from Go RE2 and compiled lazily, on the first file that
//! mentions one of the rule's keywords: most rules never run on most files, and compiling
//! hundreds of large patterns up front would cost seconds on every scan.

use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde::Deserialize;

use crate::errors::ConfigError;
use crate::translate::translate;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    min_version: Option<String>,
    #[serde(default)]
    extend: Option<RawExtend>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawExtend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    /// gitleaks' rules that only provide context for composite rules; not reported alone.
    #[serde(default)]
    skip_report: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAllowlist {
    #[serde(default)]
    description: String,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
}

/// A regex compiled on first use.
#[derive(Debug)]
pub struct LazyRegex {
    pub source: String,
    compiled: OnceLock<Regex>,
    searcher: OnceLock<regex_automata::meta::Regex>,
}

impl LazyRegex {
    fn new(source: String) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
            searcher: OnceLock::new(),
        }
    }

    /// The compiled regex. Patterns are checked when the configuration loads, so this only
    /// compiles (once) what is known to be valid.
    pub fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            Regex::new(&self.source).unwrap_or_else(|_| Regex::new("$^").expect("constant regex"))
        })
    }

    /// The same pattern for rules' searches, which may be limited to part of a text. Its
    /// lazy DFA gets a larger cache: the default one thrashes on gitleaks' long
    /// case-insensitive `generic-api-key` pattern.
    pub fn searcher(&self) -> &regex_automata::meta::Regex {
        use regex_automata::meta;
        self.searcher.get_or_init(|| {
            meta::Regex::builder()
                .configure(meta::Config::new().hybrid_cache_capacity(32 << 20))
                .build(&self.source)
                .unwrap_or_else(|_| meta::Regex::new("$^").expect("constant regex"))
        })
    }
}

/// Which text an allowlist's regexes are matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexTarget {
    Secret,
    Match,
    Line,
}

/// Conditions under which a finding is not reported.
#[derive(Debug)]
pub struct Allowlist {
    pub description: String,
    /// All criteria must hold (AND) rather than any (OR).
    pub require_all: bool,
    pub commits: Vec<String>,
    pub paths: Vec<LazyRegex>,
    pub regexes: Vec<LazyRegex>,
    pub regex_target: RegexTarget,
    /// Lower-cased.
    pub stopwords: Vec<String>,
    /// Rule ids this global allowlist applies to; empty for all.
    pub target_rules: Vec<String>,
}

/// One detection rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub regex: Option<LazyRegex>,
    pub secret_group: usize,
    pub entropy: Option<f64>,
    pub path: Option<LazyRegex>,
    /// Lower-cased. A rule with keywords runs only on text containing one of them.
    pub keywords: Vec<String>,
    pub tags: Vec<String>,
    pub allowlists: Vec<Allowlist>,
    pub skip_report: bool,
    /// See [`Rule::keyword_reach`].
    window: OnceLock<Option<crate::window::Reach>>,
}

impl Rule {
    /// When every match holds one of the keywords, how far from a keyword a match can
    /// reach: the regex then only needs to search there.
    pub fn keyword_reach(&self) -> Option<&crate::window::Reach> {
        self.window
            .get_or_init(|| {
                let source = &self.regex.as_ref()?.source;
                crate::window::keyword_reach(source, &self.keywords)
            })
            .as_ref()
    }
}

/// A loaded configuration.
#[derive(Debug, Default)]
pub struct Config {
    pub title: Option<String>,
    pub rules: Vec<Arc<Rule>>,
    pub allowlists: Vec<Allowlist>,
}

/// Reads a configuration named by `[extend] path`: returns its display path and its text.
pub type ReadConfig<'a> = dyn Fn(&str) -> Result<(String, String), String> + 'a;

/// Where a configuration comes from, for messages and for `[extend] path`.
#[allow(missing_debug_implementations)] // holds closures
pub struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Reads another configuration named by `[extend] path`, relative to this one.
    pub read: &'a ReadConfig<'a>,
    /// The built-in configuration, for `[extend] useDefault = true`.
    pub builtin: &'a dyn Fn() -> Config,
}

/// The 1-based line of each rule's `id = ...` in `text`, for messages. One pass over the text.
fn rule_lines(text: &str) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("id") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let id = value.trim().trim_matches(|c| c == '"' || c == '\'');
        out.entry(id.to_owned()).or_insert(i + 1);
    }
    out
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    (
        before.matches('\n').count() + 1,
        before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
    )
}

impl Config {
    /// Parses a gitleaks TOML configuration.
    pub fn load(source: &Source<'_>) -> Result<Config, ConfigError> {
        Self::load_depth(source, 0)
    }

    fn load_depth(source: &Source<'_>, depth: usize) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(source.text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(source.text, s.start));
            ConfigError::Toml {
                path: source.path.to_owned(),
                line,
                column,
                message: e.message().to_owned(),
            }
        })?;
        let _ = &raw.min_version;
        let mut config = Config {
            title: raw.title.clone(),
            ..Config::default()
        };
        if let Some(ext) = &raw.extend {
            let mut base = if ext.use_default {
                (source.builtin)()
            } else if let Some(p) = &ext.path {
                if depth > 4 {
                    return Err(ConfigError::Extend {
                        path: source.path.into(),
                        extends: p.clone(),
                        message: "too many nested `[extend]`s".into(),
                    });
                }
                let (path, text) = (source.read)(p).map_err(|m| ConfigError::Extend {
                    path: source.path.into(),
                    extends: p.clone(),
                    message: m,
                })?;
                Self::load_depth(
                    &Source {
                        path: &path,
                        text: &text,
                        read: source.read,
                        builtin: source.builtin,
                    },
                    depth + 1,
                )?
            } else {
                Config::default()
            };
            base.rules
                .retain(|r| !ext.disabled_rules.iter().any(|d| d == &r.id));
            config.rules = base.rules;
            config.allowlists = base.allowlists;
        }
        let lines = rule_lines(source.text);
        for raw_rule in raw.rules {
            let line = lines.get(&raw_rule.id).copied().unwrap_or(1);
            let rule = compile_rule(raw_rule, source.path, line)?;
            // A rule with the id of an extended one replaces it.
            match config.rules.iter().position(|r| r.id == rule.id) {
                Some(i) => config.rules[i] = Arc::new(rule),
                None => config.rules.push(Arc::new(rule)),
            }
        }
        for (i, raw_list) in raw.allowlist.into_iter().chain(raw.allowlists).enumerate() {
            let line = source
                .text
                .lines()
                .position(|l| {
                    l.trim_start().starts_with("[allowlist")
                        || l.trim_start().starts_with("[[allowlists")
                })
                .map_or(1, |p| p + 1 + i);
            let list = compile_allowlist(raw_list, &|message| ConfigError::Allowlist {
                path: source.path.into(),
                line,
                message,
            })?;
            config.allowlists.push(list);
        }
        Ok(config)
    }
}

/// Checks the syntax of a (translated) pattern without compiling it.
fn check_syntax(source: &str) -> Result<regex_syntax::ast::Ast, String> {
    regex_syntax::ast::parse::Parser::new()
        .parse(source)
        .map_err(|e| e.to_string())
}

/// A translated, syntax-checked pattern to compile on first use.
fn lazy(pattern: &str) -> Result<LazyRegex, String> {
    let source = translate(pattern);
    check_syntax(&source)?;
    Ok(LazyRegex::new(source))
}

/// The number of capturing groups in a pattern.
fn count_captures(ast: &regex_syntax::ast::Ast) -> usize {
    use regex_syntax::ast::{Ast, GroupKind};
    match ast {
        Ast::Group(g) => {
            let own = usize::from(matches!(
                g.kind,
                GroupKind::CaptureIndex(_) | GroupKind::CaptureName { .. }
            ));
            own + count_captures(&g.ast)
        }
        Ast::Concat(c) => c.asts.iter().map(count_captures).sum(),
        Ast::Alternation(a) => a.asts.iter().map(count_captures).sum(),
        Ast::Repetition(r) => count_captures(&r.ast),
        _ => 0,
    }
}

fn compile_rule(raw: RawRule, path: &str, line: usize) -> Result<Rule, ConfigError> {
    let err = |message: String| ConfigError::Rule {
        path: path.into(),
        line,
        rule: raw.id.clone(),
        message,
    };
    if raw.id.trim().is_empty() {
        return Err(err("a rule needs an `id`".into()));
    }
    if raw.regex.is_none() && raw.path.is_none() {
        return Err(err("a rule needs a `regex`, a `path`, or both".into()));
    }
    let regex = match &raw.regex {
        Some(r) => {
            let source = translate(r);
            // Checked now, compiled for matching later: parsing the syntax is cheap, building
            // the automaton is not.
            let ast = check_syntax(&source).map_err(|e| err(format!("invalid `regex`: {e}")))?;
            if let Some(group) = raw.secret_group {
                let groups = count_captures(&ast);
                if group > groups {
                    return Err(err(format!(
                        "`secretGroup = {group}` but the regex has {groups} capture group(s)"
                    )));
                }
            }
            Some(LazyRegex::new(source))
        }
        None => None,
    };
    let path_regex = raw
        .path
        .as_ref()
        .map(|p| lazy(p).map_err(|e| err(format!("invalid `path`: {e}"))))
        .transpose()?;
    let mut allowlists = Vec::new();
    for list in raw.allowlist.into_iter().chain(raw.allowlists) {
        allowlists.push(compile_allowlist(list, &|m| {
            err(format!("allowlist: {m}"))
        })?);
    }
    Ok(Rule {
        id: raw.id.clone(),
        description: raw.description,
        regex,
        secret_group: raw.secret_group.unwrap_or(0),
        entropy: raw.entropy.filter(|e| *e > 0.0),
        path: path_regex,
        keywords: raw
            .keywords
            .iter()
            .map(|k| k.to_lowercase())
            .filter(|k| !k.is_empty())
            .collect(),
        tags: raw.tags,
        allowlists,
        skip_report: raw.skip_report,
        window: OnceLock::new(),
    })
}

fn compile_allowlist(
    raw: RawAllowlist,
    err: &dyn Fn(String) -> ConfigError,
) -> Result<Allowlist, ConfigError> {
    let require_all = match raw
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("OR") | Some("") => false,
        Some("AND") => true,
        Some(other) => {
            return Err(err(format!(
                "`condition` must be `OR` or `AND`, not `{other}`"
            )));
        }
    };
    let regex_target = match raw.regex_target.as_deref() {
        None | Some("") | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => {
            return Err(err(format!(
                "`regexTarget` must be `secret`, `match` or `line`, not `{other}`"
            )));
        }
    };
    let compile = |list: &[String], what: &str| -> Result<Vec<LazyRegex>, ConfigError> {
        list.iter()
            .map(|p| lazy(p).map_err(|e| err(format!("invalid `{what}` pattern `{p}`: {e}"))))
            .collect()
    };
    Ok(Allowlist {
        description: raw.description,
        require_all,
        commits: raw.commits,
        paths: compile(&raw.paths, "paths")?,
        regexes: compile(&raw.regexes, "regexes")?,
        regex_target,
        stopwords: raw.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        target_rules: raw.target_rules,
    })
}
