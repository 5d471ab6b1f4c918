//! The Terraform gate: `.tf`, `.tfvars` and `.tftest.hcl` files read token by token and laid
//! out exactly as `terraform fmt` (1.0.3) lays them out.
//!
//! [`format`] is pure (text in, text or error out). Guarantees: only blanks between tokens
//! change, apart from `terraform fmt`'s own rewrites (`rewrite.rs`); no newline is added or
//! removed; heredocs and strings are kept as they are; a file that does not scan as HCL is
//! refused with the place of the first problem, never formatted.

mod errors;
mod format;
mod lexer;
mod rewrite;

pub use errors::FormatError;

/// `src` formatted as `terraform fmt` formats it.
pub fn format(src: &str) -> Result<String, FormatError> {
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
