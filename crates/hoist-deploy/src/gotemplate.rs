//! The part of Go's `text/template` (with the sprig functions Argo CD's ApplicationSets use)
//! that names and fields of generated applications are written in.
//!
//! Supported: `{{ .a.b }}`, `{{ . }}`, trim markers `{{-`/`-}}`, pipelines `|`, parentheses,
//! string, number and boolean literals, `if`/`else if`/`else`/`end`, and the functions
//! listed in [`functions::call`]. Anything else is a clear [`TemplateError`], never a silent pass-through.

use serde_json::Value;

use crate::TemplateError;

mod functions;

use functions::call;

/// What a missing key renders as: `missingkey=error` fails, the default prints `<no value>`
/// as Go does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MissingKey {
    Error,
    NoValue,
}

/// Renders `template` with `data` as dot.
pub(crate) fn render(
    template: &str,
    data: &Value,
    missing: MissingKey,
) -> Result<String, TemplateError> {
    let nodes = parse(template)?;
    let mut out = String::new();
    let ctx = Context {
        template,
        data,
        missing,
    };
    ctx.exec(&nodes, &mut out)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tree {
    Text(String),
    Action(Pipeline),
    If {
        branches: Vec<(Pipeline, Vec<Tree>)>,
        otherwise: Vec<Tree>,
    },
}

type Pipeline = Vec<Command>;

#[derive(Debug, Clone, PartialEq)]
struct Command {
    args: Vec<Operand>,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field(Vec<String>),
    Literal(Value),
    Function(String),
    Sub(Pipeline),
}

fn syntax(template: &str, message: impl Into<String>) -> TemplateError {
    TemplateError::Syntax {
        template: template.to_owned(),
        message: message.into(),
    }
}

/// Splits into text and actions, honouring trim markers, then builds the if/else tree.
fn parse(template: &str) -> Result<Vec<Tree>, TemplateError> {
    #[derive(Debug)]
    enum Piece {
        Text(String),
        Action(String),
    }
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[open + 2..];
        let (trim_before, body_start) = match after.strip_prefix("- ") {
            Some(b) => (true, b),
            None => match after
                .strip_prefix("-\t")
                .or_else(|| after.strip_prefix("-\n"))
            {
                Some(b) => (true, b),
                None => (false, after),
            },
        };
        if trim_before {
            text = text.trim_end();
        }
        pieces.push(Piece::Text(text.to_owned()));
        let Some(close) = find_close(body_start) else {
            return Err(syntax(template, "unclosed action: `{{` without `}}`"));
        };
        let mut body = &body_start[..close];
        trim_next = false;
        if let Some(b) = body
            .strip_suffix(" -")
            .or_else(|| body.strip_suffix("\t-"))
            .or_else(|| body.strip_suffix("\n-"))
        {
            body = b;
            trim_next = true;
        }
        let body = body.trim();
        if !body.starts_with("/*") {
            pieces.push(Piece::Action(body.to_owned()));
        }
        rest = &body_start[close + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    pieces.push(Piece::Text(text.to_owned()));

    // Build the tree with a stack of open `if`s.
    struct OpenIf {
        branches: Vec<(Pipeline, Vec<Tree>)>,
        otherwise: Option<Vec<Tree>>,
    }
    let mut root: Vec<Tree> = Vec::new();
    let mut stack: Vec<OpenIf> = Vec::new();
    fn current<'a>(root: &'a mut Vec<Tree>, stack: &'a mut [OpenIf]) -> &'a mut Vec<Tree> {
        match stack.last_mut() {
            None => root,
            Some(open) => match &mut open.otherwise {
                Some(o) => o,
                None => &mut open.branches.last_mut().expect("an if has a branch").1,
            },
        }
    }
    for piece in pieces {
        match piece {
            Piece::Text(t) if t.is_empty() => {}
            Piece::Text(t) => current(&mut root, &mut stack).push(Tree::Text(t)),
            Piece::Action(body) => {
                let (word, rest) = body
                    .split_once(char::is_whitespace)
                    .map_or((body.as_str(), ""), |(w, r)| (w, r.trim()));
                match word {
                    "if" => {
                        let cond = parse_pipeline(template, rest)?;
                        stack.push(OpenIf {
                            branches: vec![(cond, Vec::new())],
                            otherwise: None,
                        });
                    }
                    "else" => {
                        let Some(open) = stack.last_mut() else {
                            return Err(syntax(template, "`else` outside `if`"));
                        };
                        if open.otherwise.is_some() {
                            return Err(syntax(template, "`else` after `else`"));
                        }
                        match rest.strip_prefix("if") {
                            Some(cond) if cond.starts_with(char::is_whitespace) => {
                                let cond = parse_pipeline(template, cond.trim())?;
                                open.branches.push((cond, Vec::new()));
                            }
                            _ if rest.is_empty() => open.otherwise = Some(Vec::new()),
                            _ => {
                                return Err(syntax(
                                    template,
                                    format!(
                                        "`else {rest}` is not supported (only `else` and `else if`)"
                                    ),
                                ));
                            }
                        }
                    }
                    "end" => {
                        let Some(open) = stack.pop() else {
                            return Err(syntax(template, "`end` without `if`"));
                        };
                        current(&mut root, &mut stack).push(Tree::If {
                            branches: open.branches,
                            otherwise: open.otherwise.unwrap_or_default(),
                        });
                    }
                    "range" | "with" | "define" | "template" | "block" | "break" | "continue" => {
                        return Err(syntax(
                            template,
                            format!(
                                "`{word}` is not supported in Hoist's ApplicationSet templates"
                            ),
                        ));
                    }
                    _ => {
                        let pipeline = parse_pipeline(template, &body)?;
                        current(&mut root, &mut stack).push(Tree::Action(pipeline));
                    }
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(syntax(template, "`if` without `end`"));
    }
    Ok(root)
}

/// The offset of the `}}` closing an action, skipping string literals.
fn find_close(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'"' || c == b'`' {
                    quote = Some(c);
                } else if c == b'}' && bytes.get(i + 1) == Some(&b'}') {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(Vec<String>),
    Word(String),
    Literal(Value),
    Pipe,
    Open,
    Close,
}

fn tokenize(template: &str, s: &str) -> Result<Vec<Token>, TemplateError> {
    let chars: Vec<char> = s.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '|' {
            tokens.push(Token::Pipe);
            i += 1;
        } else if c == '(' {
            tokens.push(Token::Open);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::Close);
            i += 1;
        } else if c == '"' {
            let mut j = i + 1;
            let mut value = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' && j + 1 < chars.len() {
                    j += 1;
                    value.push(match chars[j] {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    value.push(chars[j]);
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err(syntax(template, "unterminated string literal"));
            }
            tokens.push(Token::Literal(Value::String(value)));
            i = j + 1;
        } else if c == '`' {
            let end = chars[i + 1..].iter().position(|&c| c == '`');
            let Some(end) = end else {
                return Err(syntax(template, "unterminated raw string literal"));
            };
            tokens.push(Token::Literal(Value::String(
                chars[i + 1..i + 1 + end].iter().collect(),
            )));
            i += end + 2;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"|()".contains(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word == "." {
                tokens.push(Token::Field(Vec::new()));
            } else if let Some(path) = word.strip_prefix('.') {
                tokens.push(Token::Field(path.split('.').map(str::to_owned).collect()));
            } else if word == "true" || word == "false" {
                tokens.push(Token::Literal(Value::Bool(word == "true")));
            } else if let Ok(n) = word.parse::<i64>() {
                tokens.push(Token::Literal(Value::from(n)));
            } else if word.starts_with('$') {
                return Err(syntax(
                    template,
                    format!("variables (`{word}`) are not supported"),
                ));
            } else if word.chars().all(|c| c.is_alphanumeric() || c == '_') {
                tokens.push(Token::Word(word));
            } else {
                return Err(syntax(template, format!("unexpected `{word}`")));
            }
        }
    }
    Ok(tokens)
}

fn parse_pipeline(template: &str, s: &str) -> Result<Pipeline, TemplateError> {
    let tokens = tokenize(template, s)?;
    let mut pos = 0;
    let pipeline = pipeline_at(template, &tokens, &mut pos)?;
    if pos != tokens.len() {
        return Err(syntax(template, format!("unexpected `)` in `{s}`")));
    }
    Ok(pipeline)
}

fn pipeline_at(
    template: &str,
    tokens: &[Token],
    pos: &mut usize,
) -> Result<Pipeline, TemplateError> {
    let mut commands = Vec::new();
    let mut args = Vec::new();
    while *pos < tokens.len() {
        match &tokens[*pos] {
            Token::Close => break,
            Token::Pipe => {
                if args.is_empty() {
                    return Err(syntax(template, "empty command before `|`"));
                }
                commands.push(Command {
                    args: std::mem::take(&mut args),
                });
                *pos += 1;
            }
            Token::Open => {
                *pos += 1;
                let inner = pipeline_at(template, tokens, pos)?;
                if tokens.get(*pos) != Some(&Token::Close) {
                    return Err(syntax(template, "unclosed `(`"));
                }
                *pos += 1;
                args.push(Operand::Sub(inner));
            }
            Token::Field(path) => {
                args.push(Operand::Field(path.clone()));
                *pos += 1;
            }
            Token::Literal(v) => {
                args.push(Operand::Literal(v.clone()));
                *pos += 1;
            }
            Token::Word(w) => {
                args.push(Operand::Function(w.clone()));
                *pos += 1;
            }
        }
    }
    if args.is_empty() {
        return Err(syntax(template, "empty pipeline"));
    }
    commands.push(Command { args });
    Ok(commands)
}

struct Context<'a> {
    template: &'a str,
    data: &'a Value,
    missing: MissingKey,
}

impl Context<'_> {
    fn exec(&self, nodes: &[Tree], out: &mut String) -> Result<(), TemplateError> {
        for node in nodes {
            match node {
                Tree::Text(t) => out.push_str(t),
                Tree::Action(p) => out.push_str(&display(&self.pipeline(p)?)),
                Tree::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = false;
                    for (cond, body) in branches {
                        if truthy(&self.pipeline(cond)?) {
                            self.exec(body, out)?;
                            taken = true;
                            break;
                        }
                    }
                    if !taken {
                        self.exec(otherwise, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&self, pipeline: &Pipeline) -> Result<Value, TemplateError> {
        let mut previous: Option<Value> = None;
        for command in pipeline {
            previous = Some(self.command(command, previous.take())?);
        }
        Ok(previous.unwrap_or(Value::Null))
    }

    fn command(&self, command: &Command, piped: Option<Value>) -> Result<Value, TemplateError> {
        let (first, rest) = command.args.split_first().expect("commands are not empty");
        match first {
            Operand::Function(name) => {
                let mut args = rest
                    .iter()
                    .map(|a| self.operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(p) = piped {
                    args.push(p);
                }
                call(self.template, name, args)
            }
            other => {
                if !rest.is_empty() || piped.is_some() {
                    return Err(TemplateError::Execution {
                        template: self.template.to_owned(),
                        message: "a value cannot take arguments".to_owned(),
                    });
                }
                self.operand(other)
            }
        }
    }

    fn operand(&self, operand: &Operand) -> Result<Value, TemplateError> {
        match operand {
            Operand::Literal(v) => Ok(v.clone()),
            Operand::Sub(p) => self.pipeline(p),
            Operand::Function(name) => call(self.template, name, Vec::new()),
            Operand::Field(path) => {
                let mut value = self.data;
                for key in path {
                    match value.get(key) {
                        Some(v) => value = v,
                        None => {
                            return match self.missing {
                                MissingKey::NoValue => Ok(Value::String("<no value>".to_owned())),
                                MissingKey::Error => Err(TemplateError::MissingKey {
                                    template: self.template.to_owned(),
                                    key: path.join("."),
                                    known: known_keys(self.data),
                                }),
                            };
                        }
                    }
                }
                Ok(value.clone())
            }
        }
    }
}

/// The parameter names a generator gave, dotted, for the missing-key message.
pub(crate) fn known_keys(data: &Value) -> String {
    let mut keys = Vec::new();
    fn walk(prefix: &str, v: &Value, keys: &mut Vec<String>) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if v.is_object() {
                    walk(&name, v, keys);
                } else {
                    keys.push(format!(".{name}"));
                }
            }
        }
    }
    walk("", data, &mut keys);
    if keys.is_empty() {
        "nothing".to_owned()
    } else {
        keys.join(", ")
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// How Go prints a value in a template.
fn display(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(display).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", display(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(template: &str, expected: &str) {
        let data = json!({"env": "staging", "auto": true, "path": {"basename": "Api_Router", "segments": ["infra", "charts"]}, "n": 0});
        let got = match render(template, &data, MissingKey::Error) {
            Ok(s) => s,
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "{template}");
    }

    #[test]
    fn renders_what_applicationsets_write() {
        check(
            "platform-{{.env}}-{{.path.basename | normalize}}",
            "platform-staging-api-router",
        );
        check(
            "{{ .path.basename | lower | replace \"_\" \"-\" }}",
            "api-router",
        );
        check("{{ index .path.segments 1 }}", "charts");
        check(
            "{{- if .auto }}\n  automated: {}\n{{- end }}\nx",
            "\n  automated: {}\nx",
        );
        check(
            "{{ if eq .env \"production\" }}manual{{ else if .auto }}auto{{ else }}off{{ end }}",
            "auto",
        );
        check("{{ if .n }}yes{{ else }}no{{ end }}", "no");
        check("{{ printf \"%s-%s\" .env (upper \"x\") }}", "staging-X");
        check(
            "{{ default \"dev\" .nothing }}",
            "error: template `{{ default \"dev\" .nothing }}`: no parameter `nothing` (the generator gives: .env, .auto, .path.basename, .path.segments, .n)",
        );
        check(
            "{{ .env",
            "error: template `{{ .env`: unclosed action: `{{` without `}}`",
        );
        check(
            "{{ range .x }}{{ end }}",
            "error: template `{{ range .x }}{{ end }}`: `range` is not supported in Hoist's ApplicationSet templates",
        );
        check(
            "{{ frobnicate .env }}",
            "error: template `{{ frobnicate .env }}`: function `frobnicate` is not supported",
        );
        check("a {{/* note */}} b", "a  b");
    }

    #[test]
    fn missing_keys_print_no_value_by_default() {
        assert_eq!(
            render("{{.x}}", &json!({}), MissingKey::NoValue).as_deref(),
            Ok("<no value>")
        );
    }
}
