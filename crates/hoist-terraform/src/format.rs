//! Canonical layout, as `hclwrite` (and so `terraform fmt`) lays out HCL: only the blanks
//! before tokens change. Three passes over the lines: indentation by open brackets, the
//! spacing between tokens, then alignment of `=` and of trailing comments over runs of
//! consecutive lines.

use crate::lexer::{Kind, Token};

/// One line, split into up to three cells whose first tokens are aligned with the lines
/// around: everything up to the assignment (`lead`), the assignment from its `=`
/// (`assign`), and a trailing comment. Ranges index the token list.
#[derive(Clone, Debug, Default)]
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<usize>,
}

fn bracket_change(kind: Kind) -> i64 {
    match kind {
        Kind::OBrace
        | Kind::OBrack
        | Kind::OParen
        | Kind::TemplateControl
        | Kind::TemplateInterp => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
        _ => 0,
    }
}

/// A newline token, or a line comment (which holds its newline).
fn ends_line(t: &Token) -> bool {
    t.kind == Kind::Newline || (t.kind == Kind::Comment && t.text.ends_with('\n'))
}

/// Sets every token's `spaces_before` to its canonical value.
pub(crate) fn format(tokens: &mut [Token]) {
    let lines = lines(tokens);
    indent(tokens, &lines);
    spaces(tokens, &lines);
    cells(tokens, &lines);
}

/// Writes the tokens out with their blanks.
pub(crate) fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        for _ in 0..t.spaces_before {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

fn lines(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.kind == Kind::Eof {
            lines.push(Line {
                lead: start..i,
                ..Line::default()
            });
            start = tokens.len();
            break;
        }
        if ends_line(t) {
            lines.push(Line {
                lead: start..i + 1,
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line {
            lead: start..tokens.len(),
            ..Line::default()
        });
    }
    for line in &mut lines {
        let lead = line.lead.clone();
        if lead.is_empty() {
            continue;
        }
        if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
            line.comment = Some(lead.end - 1);
            line.lead = lead.start..lead.end - 1;
        }
        let lead = line.lead.clone();
        for i in lead.clone() {
            if i > lead.start && tokens[i].kind == Kind::Equal {
                // Only a whole expression on this line makes an assignment cell; an
                // opening bracket left open starts a multi-line value instead.
                let net: i64 = tokens[i..lead.end]
                    .iter()
                    .map(|t| bracket_change(t.kind))
                    .sum();
                if net == 0 {
                    line.assign = Some(i..lead.end);
                    line.lead = lead.start..i;
                }
                break;
            }
        }
    }
    lines
}

fn indent(tokens: &mut [Token], lines: &[Line]) {
    let mut indents: Vec<i64> = Vec::new();
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if tokens[first].kind == Kind::Newline {
            tokens[first].spaces_before = 0;
            continue;
        }
        let mut net = 0;
        for t in &tokens[line.lead.clone()] {
            net += bracket_change(t.kind);
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = &line.assign {
            net += tokens[assign.clone()]
                .iter()
                .map(|t| bracket_change(t.kind))
                .sum::<i64>();
        }
        if net > 0 {
            tokens[first].spaces_before = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else {
                    break;
                };
                if closed > *top {
                    closed -= *top;
                    indents.pop();
                } else if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    indents.pop();
                    closed = 0;
                }
            }
            tokens[first].spaces_before = 2 * indents.len();
        }
    }
}

fn spaces(tokens: &mut [Token], lines: &[Line]) {
    for line in lines {
        space_cell(tokens, line.lead.clone(), false);
        if let Some(assign) = &line.assign {
            space_cell(tokens, assign.clone(), true);
        }
    }
}

fn space_cell(tokens: &mut [Token], cell: std::ops::Range<usize>, assign: bool) {
    if assign && !cell.is_empty() {
        tokens[cell.start].spaces_before = 1;
    }
    for i in cell.clone() {
        if i + 1 >= cell.end {
            break;
        }
        let before = (i > cell.start).then(|| tokens[i - 1].kind);
        let space = space_after(&tokens[i], before, &tokens[i + 1]);
        tokens[i + 1].spaces_before = usize::from(space);
    }
}

/// Whether `subject` is followed by a space, between `before` (none at the start of a
/// cell) and `after`.
fn space_after(subject: &Token, before: Option<Kind>, after: &Token) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    if a == Newline || a == Eof {
        return false;
    }
    if s == Ident && a == OParen {
        return false;
    }
    if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) {
        return false;
    }
    if s == Dot || a == Dot {
        return false;
    }
    if a == Comma || a == Ellipsis {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
        || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == Ident && subject.text == "in" && before == Some(Ident) {
        return true;
    }
    if a == OBrack && (s == Ident || s == NumberLit || bracket_change(s) < 0) {
        return false;
    }
    if s == Bang {
        return false;
    }
    if s == Minus {
        return match before {
            None => false,
            Some(
                OParen | OBrace | OBrack | Equal | Colon | Comma | Question | Plus | Star | Slash
                | Percent | Minus | EqualOp | NotEqual | GreaterThan | GreaterThanEq | LessThan
                | LessThanEq | And | Or | Bang,
            ) => false,
            Some(_) => true,
        };
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if matches!(s, TemplateInterp | TemplateControl) && a == OBrace {
        return true;
    }
    if s == CBrace && a == TemplateSeqEnd {
        return true;
    }
    if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) {
        return false;
    }
    if bracket_change(s) > 0 {
        return false;
    }
    if bracket_change(a) < 0 {
        return false;
    }
    true
}

/// A cell's width: blanks and characters.
fn columns(tokens: &[Token], cell: std::ops::Range<usize>) -> usize {
    tokens[cell]
        .iter()
        .map(|t| t.spaces_before + t.text.chars().count())
        .sum()
}

fn cells(tokens: &mut [Token], lines: &[Line]) {
    // `=` first: moving it moves the comments after it.
    let mut chain: Vec<usize> = Vec::new();
    let mut widest = 0;
    let close_assign = |tokens: &mut [Token], chain: &mut Vec<usize>, widest: &mut usize| {
        for &l in chain.iter() {
            let width = columns(tokens, lines[l].lead.clone());
            if let Some(assign) = &lines[l].assign {
                tokens[assign.start].spaces_before = *widest - width + 1;
            }
        }
        chain.clear();
        *widest = 0;
    };
    for (i, line) in lines.iter().enumerate() {
        if line.assign.is_none() {
            if !chain.is_empty() {
                close_assign(tokens, &mut chain, &mut widest);
            }
        } else {
            chain.push(i);
            widest = widest.max(columns(tokens, line.lead.clone()));
        }
    }
    close_assign(tokens, &mut chain, &mut widest);

    let width = |tokens: &[Token], line: &Line| {
        columns(tokens, line.lead.clone()) + line.assign.clone().map_or(0, |a| columns(tokens, a))
    };
    let close_comment = |tokens: &mut [Token], chain: &mut Vec<usize>, widest: &mut usize| {
        for &l in chain.iter() {
            let w = width(tokens, &lines[l]);
            if let Some(c) = lines[l].comment {
                tokens[c].spaces_before = *widest - w + 1;
            }
        }
        chain.clear();
        *widest = 0;
    };
    for (i, line) in lines.iter().enumerate() {
        if line.comment.is_none() {
            if !chain.is_empty() {
                close_comment(tokens, &mut chain, &mut widest);
            }
        } else {
            chain.push(i);
            widest = widest.max(width(tokens, line));
        }
    }
    close_comment(tokens, &mut chain, &mut widest);
}
