//! What `terraform fmt` changes besides blanks, found through the file's structure
//! (attributes and blocks): an attribute whose whole value is one interpolation,
//! `"${var.x}"`, becomes the bare expression `var.x`; a top-level `variable` block's legacy
//! quoted `type` (`"string"`, `"list"`, `"map"`) becomes the type expression, and a bare
//! `list`, `map` or `set` gets its element type `any`; block labels are all quoted, and
//! comments between them dropped (`resource aws_instance /* x */ web` becomes
//! `resource "aws_instance" "web"`).

use crate::lexer::{Kind, Token};

/// Applies the rewrites to `tokens` (the whole file's, ending in EOF).
pub(crate) fn rewrite(tokens: Vec<Token>) -> Vec<Token> {
    let mut edits: Vec<(std::ops::Range<usize>, Vec<Token>)> = Vec::new();
    body(&tokens, 0, tokens.len(), &[], &mut edits);
    if edits.is_empty() {
        return tokens;
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(tokens.len());
    let mut at = 0;
    let mut tokens = tokens.into_iter().enumerate().peekable();
    for (range, replacement) in edits {
        while let Some((i, _)) = tokens.peek() {
            if *i >= range.start {
                break;
            }
            if let Some((_, t)) = tokens.next() {
                out.push(t);
            }
        }
        while let Some((i, _)) = tokens.peek() {
            if *i >= range.end {
                break;
            }
            tokens.next();
        }
        out.extend(replacement);
        at = range.end;
    }
    let _ = at;
    out.extend(tokens.map(|(_, t)| t));
    out
}

/// The index after the bracketed group that `tokens[open]` opens (its closer included), or
/// `end` when it is not closed.
fn group_end(tokens: &[Token], open: usize, end: usize) -> usize {
    let mut depth = 0i64;
    for (i, t) in tokens.iter().enumerate().take(end).skip(open) {
        depth += nesting(t.kind);
        if depth == 0 {
            return i + 1;
        }
    }
    end
}

/// How a token changes the nesting of brackets, templates and strings.
fn nesting(kind: Kind) -> i64 {
    match kind {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateInterp
        | Kind::TemplateControl
        | Kind::OQuote
        | Kind::OHeredoc => 1,
        Kind::CBrace
        | Kind::CBrack
        | Kind::CParen
        | Kind::TemplateSeqEnd
        | Kind::CQuote
        | Kind::CHeredoc => -1,
        _ => 0,
    }
}

/// Walks the items of a body in `tokens[start..end]` (blocks nested in `blocks`).
fn body(
    tokens: &[Token],
    start: usize,
    end: usize,
    blocks: &[String],
    edits: &mut Vec<(std::ops::Range<usize>, Vec<Token>)>,
) {
    let mut i = start;
    while i < end {
        let t = &tokens[i];
        if t.kind != Kind::Ident {
            i += 1;
            continue;
        }
        let name = t.text.clone();
        let next = i + 1;
        if next < end && tokens[next].kind == Kind::Equal {
            // An attribute: its value runs to the end of the line at its own nesting.
            let value_start = next + 1;
            let mut j = value_start;
            let mut depth = 0i64;
            while j < end {
                let k = tokens[j].kind;
                if depth == 0 && matches!(k, Kind::Newline | Kind::Comment | Kind::Eof) {
                    break;
                }
                depth += nesting(k);
                if depth < 0 {
                    break;
                }
                j += 1;
            }
            let value = value_start..j;
            let replacement = if blocks.len() == 1 && blocks[0] == "variable" && name == "type" {
                type_expr(&tokens[value.clone()])
            } else {
                bare_interpolation(&tokens[value.clone()])
            };
            if let Some(r) = replacement {
                edits.push((value, r));
            }
            i = j;
            continue;
        }
        // A block: labels, then its body in braces.
        let mut j = next;
        let mut labels: Vec<Token> = Vec::new();
        let mut normal = true;
        while j < end && !matches!(tokens[j].kind, Kind::OBrace | Kind::Newline | Kind::Eof) {
            match tokens[j].kind {
                Kind::OQuote => {
                    let close = group_end(tokens, j, end);
                    labels.extend(tokens[j..close].iter().cloned());
                    j = close;
                }
                Kind::Ident => {
                    normal = false;
                    labels.push(synthetic(Kind::OQuote, "\""));
                    labels.push(synthetic(Kind::QuotedLit, &tokens[j].text));
                    labels.push(synthetic(Kind::CQuote, "\""));
                    j += 1;
                }
                Kind::Comment => {
                    normal = false;
                    j += 1;
                }
                _ => j += 1,
            }
        }
        if !normal && j < end && tokens[j].kind == Kind::OBrace {
            edits.push((next..j, labels));
        }
        if j < end && tokens[j].kind == Kind::OBrace {
            let close = group_end(tokens, j, end);
            let mut inner = blocks.to_vec();
            inner.push(name);
            body(
                tokens,
                j + 1,
                close.saturating_sub(1).max(j + 1),
                &inner,
                edits,
            );
            i = close;
        } else {
            i = j + 1;
        }
    }
}

/// `"${ expr }"` as `expr`, when the quotes hold exactly one interpolation and nothing else.
fn bare_interpolation(value: &[Token]) -> Option<Vec<Token>> {
    let n = value.len();
    if n < 5
        || value[0].kind != Kind::OQuote
        || value[1].kind != Kind::TemplateInterp
        || value[n - 2].kind != Kind::TemplateSeqEnd
        || value[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &value[2..n - 2];
    let mut quotes = 0i64;
    for t in inside {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    // Leading and trailing newlines would leave an attribute without its value on its line.
    let first = inside.iter().position(|t| t.kind != Kind::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline)?;
    Some(inside[first..=last].to_vec())
}

fn synthetic(kind: Kind, text: &str) -> Token {
    Token {
        kind,
        text: text.to_owned(),
        spaces_before: 0,
        line: 0,
        column: 0,
        start: 0,
    }
}

/// A legacy quoted type as the type expression it means.
fn type_expr(value: &[Token]) -> Option<Vec<Token>> {
    if let Some(bare) = bare_collection(value) {
        return Some(bare);
    }
    if value.len() != 3
        || value[0].kind != Kind::OQuote
        || value[1].kind != Kind::QuotedLit
        || value[2].kind != Kind::CQuote
    {
        return None;
    }
    let collection = |name: &str| {
        vec![
            synthetic(Kind::Ident, name),
            synthetic(Kind::OParen, "("),
            synthetic(Kind::Ident, "string"),
            synthetic(Kind::CParen, ")"),
        ]
    };
    match value[1].text.as_str() {
        "string" => Some(vec![synthetic(Kind::Ident, "string")]),
        "list" => Some(collection("list")),
        "map" => Some(collection("map")),
        _ => None,
    }
}

/// A type keyword `list`, `map` or `set` alone: its element type is `any`, said outright.
fn bare_collection(value: &[Token]) -> Option<Vec<Token>> {
    match value {
        [t] if t.kind == Kind::Ident && matches!(t.text.as_str(), "list" | "map" | "set") => {
            Some(vec![
                t.clone(),
                synthetic(Kind::OParen, "("),
                synthetic(Kind::Ident, "any"),
                synthetic(Kind::CParen, ")"),
            ])
        }
        _ => None,
    }
}
