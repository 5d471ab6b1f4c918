//! The Terraform gate: `.tf`, `.tfvars` and `.tftest.hcl` files read token by token and laid
//! out exactly as `terraform fmt` (1.0.3) lays them out.
//!
//! [`format`] is pure (text in, text or error out). Guarantees: only blanks between tokens
//! change, apart from `terraform fmt`'s own rewrites (`rewrite.rs`); no newline is added, and
//! the only ones removed are those framing a value that is a single interpolation (`"${` on
//! one line, `}"` on another); heredocs and strings are kept as they are; a file that does
//! not scan as HCL is refused with the place of the first problem, never formatted.

mod errors;
pub mod flow;
mod format;
mod lexer;
mod rewrite;
pub mod security;
mod validate;

pub use validate::{Findings, ModuleFile, check_module, validate};

pub use errors::FormatError;

/// `src` formatted as `terraform fmt` formats it.
pub fn format(src: &str) -> Result<String, FormatError> {
    // terraform formats only what parses; so does this (hcl-edit's parser, with the place of
    // the first error).
    if let Err(e) = hcl_edit::parser::parse_body(src.strip_prefix('\u{feff}').unwrap_or(src)) {
        return Err(FormatError::Syntax {
            line: e.location().line(),
            column: e.location().column(),
            message: e.message().to_owned(),
        });
    }
    let tokens = lexer::tokens(src);
    check(&tokens)?;
    let mut tokens = rewrite::rewrite(tokens);
    format::format(&mut tokens);
    let mut out = String::with_capacity(src.len());
    if src.starts_with('\u{feff}') {
        out.push('\u{feff}');
    }
    out.push_str(&format::render(&tokens));
    Ok(out)
}

/// Refuses what `terraform fmt` would refuse to touch: characters that start no token,
/// newlines inside quoted strings, and brackets, strings or heredocs left open or closed
/// twice.
fn check(tokens: &[lexer::Token]) -> Result<(), FormatError> {
    use lexer::Kind;
    let err = |t: &lexer::Token, message: String| FormatError::Syntax {
        line: t.line,
        column: t.column,
        message,
    };
    let mut open: Vec<&lexer::Token> = Vec::new();
    for t in tokens {
        match t.kind {
            Kind::Invalid => {
                return Err(err(
                    t,
                    format!("`{}` is not valid here", t.text.escape_debug()),
                ));
            }
            Kind::QuotedNewline => {
                return Err(err(
                    t,
                    "a quoted string ends at the end of its line; close it with `\"`, or use a heredoc for several lines".to_owned(),
                ));
            }
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::OQuote
            | Kind::OHeredoc
            | Kind::TemplateInterp
            | Kind::TemplateControl => open.push(t),
            Kind::CBrace
            | Kind::CBrack
            | Kind::CParen
            | Kind::CQuote
            | Kind::CHeredoc
            | Kind::TemplateSeqEnd => {
                let Some(o) = open.pop() else {
                    return Err(err(t, format!("`{}` closes nothing", t.text.trim())));
                };
                let pairs = matches!(
                    (o.kind, t.kind),
                    (Kind::OBrace, Kind::CBrace)
                        | (Kind::OBrack, Kind::CBrack)
                        | (Kind::OParen, Kind::CParen)
                        | (Kind::OQuote, Kind::CQuote)
                        | (Kind::OHeredoc, Kind::CHeredoc)
                        | (
                            Kind::TemplateInterp | Kind::TemplateControl,
                            Kind::TemplateSeqEnd
                        )
                );
                if !pairs {
                    return Err(err(
                        t,
                        format!(
                            "`{}` does not close the `{}` opened at {}:{}",
                            t.text.trim(),
                            o.text.trim(),
                            o.line,
                            o.column
                        ),
                    ));
                }
            }
            Kind::Comment if t.text.starts_with("/*") && !t.text.ends_with("*/") => {
                return Err(err(t, "this comment is never closed with `*/`".to_owned()));
            }
            _ => {}
        }
    }
    if let Some(o) = open.pop() {
        return Err(err(o, format!("`{}` is never closed", o.text.trim())));
    }
    Ok(())
}

/// The rules of `hoist check terraform`, for SARIF. The `terraform_*` ones are tflint's, under
/// its names.
pub const RULES: &[hoist_diagnostics::SarifRule] = &[
    hoist_diagnostics::SarifRule {
        id: "terraform-syntax",
        description: "The file does not parse as HCL; terraform would refuse it.",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform-fmt",
        description: "The file is not laid out as `terraform fmt` lays it out.",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform-validate",
        description: "What `terraform validate` reports with the providers' schemas (`--full`).",
    },
    hoist_diagnostics::SarifRule {
        id: "undeclared-reference",
        description: "A reference to a variable, local value, module, data source or resource the module does not declare.",
    },
    hoist_diagnostics::SarifRule {
        id: "duplicate-declaration",
        description: "Two declarations of one kind with one name in a module.",
    },
    hoist_diagnostics::SarifRule {
        id: "count-and-for-each",
        description: "A block sets both `count` and `for_each`.",
    },
    hoist_diagnostics::SarifRule {
        id: "backend-interpolation",
        description: "A backend setting refers to variables or calls functions; backends take constants only.",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_unused_declarations",
        description: "A variable, local value or data source that nothing uses (tflint).",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_typed_variables",
        description: "A variable without a type (tflint).",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_required_version",
        description: "The module does not constrain the Terraform version (tflint).",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_required_providers",
        description: "A provider used without a version constraint in `required_providers` (tflint).",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_module_pinned_source",
        description: "A module from git that is not pinned to a tag or commit (tflint).",
    },
    hoist_diagnostics::SarifRule {
        id: "terraform_deprecated_interpolation",
        description: "An interpolation-only expression, `\"${var.x}\"` (tflint).",
    },
];

/// What `hoist check terraform --fmt` says of one file: a syntax error where the file stops
/// scanning, or the first line that formatting changes; nothing for a formatted file.
pub fn fmt_diagnostics(src: &str) -> Vec<hoist_diagnostics::Diagnostic> {
    use hoist_diagnostics::{Diagnostic, Position, Span};
    match format(src) {
        Err(FormatError::Syntax {
            line,
            column,
            message,
        }) => {
            let at = Position::new(line as u32, column as u32);
            vec![Diagnostic::error(
                "terraform-syntax",
                Span::new(at, at),
                message,
            )]
        }
        Ok(formatted) if formatted == src => Vec::new(),
        Ok(formatted) => {
            let line = src
                .split_inclusive('\n')
                .zip(formatted.split_inclusive('\n'))
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| {
                    src.split_inclusive('\n')
                        .count()
                        .min(formatted.split_inclusive('\n').count())
                })
                + 1;
            let changed = src
                .split_inclusive('\n')
                .zip(formatted.split_inclusive('\n'))
                .filter(|(a, b)| a != b)
                .count()
                .max(1);
            let at = Position::new(line as u32, 1);
            let mut d = Diagnostic::error(
                "terraform-fmt",
                Span::new(at, at),
                format!("not formatted as `terraform fmt` formats it ({changed} line(s) differ)"),
            );
            d.hint =
                Some("run `hoist fmt terraform` (or `terraform fmt`) to rewrite it".to_owned());
            vec![d]
        }
    }
}

/// The unified diff that `terraform fmt -diff` prints for `path`: `old` is the file as it is,
/// `new` as formatted.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    hoist_diagnostics::unified_diff(&format!("old/{path}"), &format!("new/{path}"), old, new)
}
