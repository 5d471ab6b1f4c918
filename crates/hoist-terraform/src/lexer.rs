//! HCL's native syntax as tokens, split where HashiCorp's scanner (`hclsyntax`) splits
//! them: the formatter's rules are written in terms of those tokens, so another split would
//! format differently. The one liberty: a heredoc's literal text comes in fewer pieces
//! (hclsyntax also breaks it at a `$` or `%` that starts nothing), which no rule can tell.
//!
//! Guarantees: the tokens' texts, with the spaces and tabs between them, make up the input
//! again byte for byte (nothing is dropped but inter-token blanks); scanning never panics,
//! whatever the bytes: what cannot be a token becomes an [`Kind::Invalid`] one.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    OHeredoc,
    CHeredoc,
    Star,
    Slash,
    Plus,
    Minus,
    Percent,
    Equal,
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Dot,
    Comma,
    DoubleColon,
    Ellipsis,
    FatArrow,
    Question,
    Colon,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    /// A literal part of a quoted string.
    QuotedLit,
    /// A literal part of a heredoc.
    StringLit,
    NumberLit,
    Ident,
    /// `# …` or `// …` with its newline, or `/* … */`.
    Comment,
    Newline,
    /// A newline inside a quoted string: a syntax error.
    QuotedNewline,
    /// A character that starts no token (`&`, `|`, `;`, … or anything unknown).
    Invalid,
    Eof,
}

/// One token: its kind, its text, where it starts, and how many blanks preceded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) text: String,
    /// Blanks (spaces, tabs) between the previous token and this one, as the formatter
    /// counts them; the formatter sets them anew.
    pub(crate) spaces_before: usize,
    /// 1-based line and column (in characters) of its first character.
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Its first byte's offset in the input.
    pub(crate) start: usize,
}

enum Mode {
    /// Expressions and structure; `retbrace` is the brace depth at which a `}` ends the
    /// template sequence that entered this mode (none at the top).
    Main {
        retbrace: Option<usize>,
    },
    Quoted,
    Heredoc {
        marker: String,
        start_of_line: bool,
    },
}

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// End of the previous token.
    last_end: usize,
    line: usize,
    line_start: usize,
    tokens: Vec<Token>,
    braces: usize,
    modes: Vec<Mode>,
}

/// The tokens of `src`, ending with [`Kind::Eof`]. A byte-order mark at the start is
/// skipped, as `hclsyntax` skips it.
pub(crate) fn tokens(src: &str) -> Vec<Token> {
    let start = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut s = Scanner {
        src,
        pos: start,
        last_end: start,
        line: 1,
        line_start: start,
        tokens: Vec::new(),
        braces: 0,
        modes: vec![Mode::Main { retbrace: None }],
    };
    while s.pos < s.src.len() {
        match s.modes.last() {
            Some(Mode::Main { .. }) | None => s.main(),
            Some(Mode::Quoted) => s.quoted(),
            Some(Mode::Heredoc { .. }) => s.heredoc(),
        }
    }
    let end = s.src.len();
    s.emit(Kind::Eof, end, end);
    s.tokens
}

fn is_ident_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

fn is_ident_continue(c: char) -> bool {
    c == '-' || unicode_ident::is_xid_continue(c)
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn emit(&mut self, kind: Kind, start: usize, end: usize) {
        let column = self.src[self.line_start..start].chars().count() + 1;
        let spaces_before = start.saturating_sub(self.last_end);
        self.tokens.push(Token {
            kind,
            text: self.src[start..end].to_owned(),
            spaces_before,
            line: self.line,
            column,
            start,
        });
        // Lines are counted by the newlines inside the token (comments, heredoc lines,
        // newline tokens).
        for (i, b) in self.src.as_bytes()[start..end].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = start + i + 1;
            }
        }
        self.last_end = end;
        self.pos = end;
    }

    fn main(&mut self) {
        let start = self.pos;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return;
        };
        if c == ' ' || c == '\t' {
            let n = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            self.pos += n;
            return;
        }
        if c.is_ascii_digit() {
            let n = number_len(rest);
            self.emit(Kind::NumberLit, start, start + n);
            return;
        }
        if is_ident_start(c) {
            let n: usize = rest
                .char_indices()
                .skip(1)
                .find(|(_, c)| !is_ident_continue(*c))
                .map_or(rest.len(), |(i, _)| i);
            self.emit(Kind::Ident, start, start + n);
            return;
        }
        if let Some(n) = comment_len(rest) {
            self.emit(Kind::Comment, start, start + n);
            return;
        }
        if rest.starts_with("\r\n") {
            self.emit(Kind::Newline, start, start + 2);
            return;
        }
        if let Some(n) = heredoc_intro_len(rest) {
            let intro = &rest[2..n];
            let marker = intro
                .trim_start_matches('-')
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .to_owned();
            self.emit(Kind::OHeredoc, start, start + n);
            self.modes.push(Mode::Heredoc {
                marker,
                start_of_line: true,
            });
            return;
        }
        let two = [
            ("==", Kind::EqualOp),
            ("!=", Kind::NotEqual),
            (">=", Kind::GreaterThanEq),
            ("<=", Kind::LessThanEq),
            ("&&", Kind::And),
            ("||", Kind::Or),
            ("::", Kind::DoubleColon),
            ("=>", Kind::FatArrow),
        ];
        if rest.starts_with("...") {
            self.emit(Kind::Ellipsis, start, start + 3);
            return;
        }
        for (text, kind) in two {
            if rest.starts_with(text) {
                self.emit(kind, start, start + 2);
                return;
            }
        }
        if rest.starts_with("~}") {
            // Ends a template sequence (with whitespace stripping) even when the braces do
            // not balance: the parser reports that case.
            let ends_sequence = matches!(self.modes.last(), Some(Mode::Main { retbrace: Some(b) }) if *b == self.braces);
            self.emit(Kind::TemplateSeqEnd, start, start + 2);
            self.braces = self.braces.saturating_sub(1);
            if ends_sequence {
                self.modes.pop();
            }
            return;
        }
        let single = match c {
            '[' => Some(Kind::OBrack),
            ']' => Some(Kind::CBrack),
            '(' => Some(Kind::OParen),
            ')' => Some(Kind::CParen),
            '.' => Some(Kind::Dot),
            ',' => Some(Kind::Comma),
            '*' => Some(Kind::Star),
            '/' => Some(Kind::Slash),
            '%' => Some(Kind::Percent),
            '+' => Some(Kind::Plus),
            '-' => Some(Kind::Minus),
            '=' => Some(Kind::Equal),
            '<' => Some(Kind::LessThan),
            '>' => Some(Kind::GreaterThan),
            '!' => Some(Kind::Bang),
            '?' => Some(Kind::Question),
            ':' => Some(Kind::Colon),
            '\n' => Some(Kind::Newline),
            _ => None,
        };
        if let Some(kind) = single {
            self.emit(kind, start, start + 1);
            return;
        }
        match c {
            '{' => {
                self.emit(Kind::OBrace, start, start + 1);
                self.braces += 1;
            }
            '}' => {
                let ends_sequence = matches!(self.modes.last(), Some(Mode::Main { retbrace: Some(b) }) if *b == self.braces);
                if ends_sequence {
                    self.emit(Kind::TemplateSeqEnd, start, start + 1);
                    self.modes.pop();
                } else {
                    self.emit(Kind::CBrace, start, start + 1);
                }
                self.braces = self.braces.saturating_sub(1);
            }
            '"' => {
                self.emit(Kind::OQuote, start, start + 1);
                self.modes.push(Mode::Quoted);
            }
            _ => {
                self.emit(Kind::Invalid, start, start + c.len_utf8());
            }
        }
    }

    /// `${` or `%{` (with an optional `~`): enters an expression until its `}`.
    fn template_sequence(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let n = if rest[2..].starts_with('~') { 3 } else { 2 };
        let start = self.pos;
        self.emit(kind, start, start + n);
        self.braces += 1;
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = false;
        }
        self.modes.push(Mode::Main {
            retbrace: Some(self.braces),
        });
        true
    }

    fn quoted(&mut self) {
        if self.template_sequence() {
            return;
        }
        let start = self.pos;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return;
        };
        match c {
            '"' => {
                self.emit(Kind::CQuote, start, start + 1);
                self.modes.pop();
            }
            '\r' | '\n' => {
                let n = rest.len() - rest.trim_start_matches(['\r', '\n']).len();
                self.emit(Kind::QuotedNewline, start, start + n);
            }
            _ => {
                let n = literal_len(rest, true);
                self.emit(Kind::QuotedLit, start, start + n.max(c.len_utf8()));
            }
        }
    }

    fn heredoc(&mut self) {
        if self.template_sequence() {
            return;
        }
        let start = self.pos;
        let src = self.src;
        let rest = &src[start..];
        let n = literal_len(rest, false);
        let after = &rest[n..];
        let eol = if after.starts_with("\r\n") {
            Some(2)
        } else if after.starts_with('\n') {
            Some(1)
        } else {
            None
        };
        let Some(Mode::Heredoc {
            marker,
            start_of_line,
        }) = self.modes.last_mut()
        else {
            return;
        };
        match eol {
            Some(nl) => {
                if *start_of_line && rest[..n].trim() == marker.as_str() {
                    // The closing marker, then its newline as a token of its own.
                    self.emit(Kind::CHeredoc, start, start + n);
                    self.emit(Kind::Newline, start + n, start + n + nl);
                    self.modes.pop();
                    return;
                }
                *start_of_line = true;
                self.emit(Kind::StringLit, start, start + n + nl);
            }
            None if n > 0 => {
                *start_of_line = false;
                self.emit(Kind::StringLit, start, start + n);
            }
            None => {
                // A `\r` alone, or the end of the input inside the heredoc.
                let len = rest.chars().next().map_or(rest.len(), char::len_utf8);
                *start_of_line = false;
                self.emit(Kind::StringLit, start, start + len);
            }
        }
    }
}

/// The length of the literal text at the start of `rest` in a quoted string (`quoted`) or
/// a heredoc: up to a newline, an interpolation or directive, or (quoted) the closing quote.
/// `$` or `%` not followed by `{` is literal, and so are `$${` and `%%{` (escapes).
fn literal_len(rest: &str, quoted: bool) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => break,
            b'"' if quoted => break,
            b'\\' if quoted => {
                // An escape: the next character is literal, whatever it is (but a newline).
                i += 1;
                if i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += rest[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
            b'$' | b'%' => {
                let sigil = bytes[i];
                if bytes.get(i + 1) == Some(&b'{') {
                    break;
                }
                if bytes.get(i + 1) == Some(&sigil) && bytes.get(i + 2) == Some(&b'{') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            _ => i += rest[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    i
}

/// `digit (("." | e[+-]?digit | digit)* not ending in ".")`.
fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let mut i = 1;
    let mut last_good = 1;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => {
                i += 1;
                last_good = i;
            }
            b'.' => i += 1,
            b'e' | b'E' => {
                let mut j = i + 1;
                if matches!(b.get(j), Some(b'+' | b'-')) {
                    j += 1;
                }
                if matches!(b.get(j), Some(b'0'..=b'9')) {
                    i = j + 1;
                    last_good = i;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    last_good
}

/// A comment at the start of `rest`: `#` or `//` to the end of the line (its newline
/// included), or `/*` to the first `*/` (to the end of the input when unclosed).
fn comment_len(rest: &str) -> Option<usize> {
    if rest.starts_with('#') || rest.starts_with("//") {
        return Some(match rest.find('\n') {
            Some(nl) => nl + 1,
            None => rest.len(),
        });
    }
    if let Some(body) = rest.strip_prefix("/*") {
        return Some(body.find("*/").map_or(rest.len(), |end| end + 4));
    }
    None
}

/// `<<` or `<<-`, an identifier and a newline.
fn heredoc_intro_len(rest: &str) -> Option<usize> {
    let after = rest.strip_prefix("<<")?;
    let dash = usize::from(after.starts_with('-'));
    let name = &after[dash..];
    let first = name.chars().next()?;
    if !is_ident_start(first) {
        return None;
    }
    let end = name
        .char_indices()
        .skip(1)
        .find(|(_, c)| !is_ident_continue(*c))
        .map_or(name.len(), |(i, _)| i);
    let tail = &name[end..];
    let nl = if tail.starts_with("\r\n") {
        2
    } else if tail.starts_with('\n') {
        1
    } else {
        return None;
    };
    Some(2 + dash + end + nl)
}

#[cfg(test)]
mod tests {
    use super::{Kind, tokens};

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        tokens(src).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn the_tokens_and_blanks_make_up_the_input() {
        let src = "resource \"a\" \"b\" {\n  x\t= \"${var.y}-%{if z}q%{endif}\"  # c\n  h = <<-EOT\n    a $b ${c}\n    EOT\n  n = 1.5e+3\n}\n/* x */ y = a...\n";
        let toks = tokens(src);
        let mut at = 0;
        for t in &toks {
            let gap = &src[at..t.start];
            assert!(
                gap.chars().all(|c| c == ' ' || c == '\t'),
                "{gap:?} before {t:?}"
            );
            assert_eq!(gap.len(), t.spaces_before);
            assert_eq!(&src[t.start..t.start + t.text.len()], t.text);
            at = t.start + t.text.len();
        }
        assert_eq!(at, src.len());
    }

    #[test]
    fn templates_split_as_hclsyntax_splits_them() {
        use Kind::*;
        assert_eq!(
            kinds("a = \"x${b}y\"\n"),
            [
                (Ident, "a".into()),
                (Equal, "=".into()),
                (OQuote, "\"".into()),
                (QuotedLit, "x".into()),
                (TemplateInterp, "${".into()),
                (Ident, "b".into()),
                (TemplateSeqEnd, "}".into()),
                (QuotedLit, "y".into()),
                (CQuote, "\"".into()),
                (Newline, "\n".into()),
                (Eof, String::new()),
            ]
        );
        assert_eq!(
            kinds("x = <<EOT\na $b\nEOT\n")
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>(),
            [Ident, Equal, OHeredoc, StringLit, CHeredoc, Newline, Eof]
        );
        assert_eq!(kinds("1.")[0], (NumberLit, "1".into()));
        assert_eq!(kinds("1.5e3x")[0], (NumberLit, "1.5e3".into()));
        assert_eq!(kinds("foo-bar")[0], (Ident, "foo-bar".into()));
        assert_eq!(kinds("{ a = { } }").len(), 7);
    }

    #[test]
    fn any_bytes_scan_without_panicking() {
        for src in [
            "\"",
            "<<EOT\n",
            "${",
            "\"${\"",
            "~}",
            "/*",
            "\u{feff}é",
            "\"\\",
            "\"a\r\nb\"",
        ] {
            let toks = tokens(src);
            assert_eq!(toks.last().map(|t| t.kind), Some(Kind::Eof), "{src:?}");
        }
    }
}
