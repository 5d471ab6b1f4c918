//! SQL scripts written for psql (PostgreSQL's regression files) split into the statements psql
//! would send, by the same rules as psql's own lexer: `;` ends a statement outside quotes,
//! comments and parentheses, and outside the `BEGIN … END` body of a `CREATE FUNCTION` or
//! `CREATE PROCEDURE`; backslash commands are not SQL (`\g…` sends what was typed, `\;` is a
//! `;` that does not end the statement); `COPY … FROM stdin` is followed by data up to `\.`.

/// One statement as psql would send it, with the line it starts on.
#[derive(Debug)]
pub(crate) struct Statement {
    pub(crate) line: u32,
    pub(crate) text: String,
}

/// The statements of a psql script.
pub(crate) fn split(script: &str) -> Vec<Statement> {
    Splitter::new(script).run()
}

struct Splitter<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    line: u32,
    buf: String,
    buf_line: u32,
    paren: u32,
    begin_depth: u32,
    /// The first letters of the statement's first words when they are `create`, `or`,
    /// `replace`, `function` or `procedure`: how psql knows it is in a routine definition.
    words: Vec<u8>,
    out: Vec<Statement>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

impl<'a> Splitter<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            s,
            b: s.as_bytes(),
            i: 0,
            line: 1,
            buf: String::new(),
            buf_line: 1,
            paren: 0,
            begin_depth: 0,
            words: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Appends `s[from..to]` to the statement, counting its lines; blanks before a statement
    /// are dropped, as psql drops them.
    fn take(&mut self, from: usize, to: usize) {
        let piece = &self.s[from..to];
        if !(self.buf.is_empty() && piece.trim().is_empty()) {
            if self.buf.is_empty() {
                self.buf_line = self.line;
            }
            self.buf.push_str(piece);
        }
        self.line += piece.matches('\n').count() as u32;
        self.i = to;
    }

    /// Skips to `to` (what is there is not SQL), counting its lines.
    fn skip(&mut self, to: usize) {
        self.line += self.s[self.i..to].matches('\n').count() as u32;
        self.i = to;
    }

    fn emit(&mut self) {
        let text = std::mem::take(&mut self.buf);
        let text = text.trim();
        self.paren = 0;
        self.begin_depth = 0;
        self.words.clear();
        if text.is_empty() || text == ";" {
            return;
        }
        let copy_from_stdin = is_copy_from_stdin(text);
        self.out.push(Statement {
            line: self.buf_line,
            text: text.to_owned(),
        });
        if copy_from_stdin {
            // The data starts on the next line and ends at a line `\.`.
            let mut at = self.b[self.i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(self.b.len(), |n| self.i + n + 1);
            loop {
                let end = self.b[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(self.b.len(), |n| at + n);
                let line = &self.s[at..end];
                at = (end + 1).min(self.b.len());
                if line.trim_end() == "\\." || end >= self.b.len() {
                    break;
                }
            }
            self.skip(at);
        }
    }

    fn run(mut self) -> Vec<Statement> {
        while self.i < self.b.len() {
            let start = self.i;
            let c = self.b[start];
            let next = self.b.get(start + 1).copied();
            match c {
                b'-' if next == Some(b'-') => {
                    // psql counts a `--` comment as blank: one before a statement is dropped.
                    let end = self.line_end(start);
                    if self.buf.is_empty() {
                        self.skip(end);
                    } else {
                        self.take(start, end);
                    }
                }
                b'/' if next == Some(b'*') => {
                    let end = self.block_comment_end(start);
                    self.take(start, end);
                }
                b'\'' => {
                    let escapes = self.is_escape_string(start);
                    let end = self.quoted_end(start, b'\'', escapes);
                    self.take(start, end);
                }
                b'"' => {
                    let end = self.quoted_end(start, b'"', false);
                    self.take(start, end);
                }
                b'$' => match self.dollar_quote_end(start) {
                    Some(end) => self.take(start, end),
                    None => self.take(start, start + 1),
                },
                b'(' => {
                    self.paren += 1;
                    self.take(start, start + 1);
                }
                b')' => {
                    self.paren = self.paren.saturating_sub(1);
                    self.take(start, start + 1);
                }
                b';' => {
                    self.take(start, start + 1);
                    if self.paren == 0 && self.begin_depth == 0 {
                        self.emit();
                    }
                }
                b'\\' => self.backslash(start),
                c if is_ident_start(c) => {
                    let mut end = start + 1;
                    while end < self.b.len() && is_ident_char(self.b[end]) {
                        end += 1;
                    }
                    self.word(&self.s[start..end].to_ascii_lowercase());
                    self.take(start, end);
                }
                _ => {
                    let mut end = start + 1;
                    while end < self.b.len() && !self.s.is_char_boundary(end) {
                        end += 1;
                    }
                    self.take(start, end);
                }
            }
        }
        self.emit();
        self.out
    }

    fn word(&mut self, word: &str) {
        if self.words.len() < 4 {
            let initial = match word {
                "create" | "function" | "procedure" | "or" | "replace" => word.as_bytes()[0],
                _ => 0,
            };
            self.words.push(initial);
        }
        let w = &self.words;
        let in_routine = w.first() == Some(&b'c')
            && (matches!(w.get(1), Some(b'f' | b'p'))
                || (w.get(1) == Some(&b'o')
                    && w.get(2) == Some(&b'r')
                    && matches!(w.get(3), Some(b'f' | b'p'))));
        if in_routine && self.paren == 0 {
            match word {
                "begin" => self.begin_depth += 1,
                "case" if self.begin_depth >= 1 => self.begin_depth += 1,
                "end" => self.begin_depth = self.begin_depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    /// A backslash command: `\;` is a `;` that does not end the statement, `\\` separates
    /// commands, `\g…` (and `\crosstabview`, `\watch`) send the statement; the rest of the line
    /// is the command's.
    fn backslash(&mut self, start: usize) {
        match self.b.get(start + 1) {
            Some(b';') => {
                self.buf.push(';');
                self.words.clear();
                self.i = start + 2;
                return;
            }
            Some(b'\\') => {
                self.i = start + 2;
                return;
            }
            _ => {}
        }
        let mut name_end = start + 1;
        while name_end < self.b.len() && self.b[name_end].is_ascii_alphanumeric() {
            name_end += 1;
        }
        let name = &self.s[start + 1..name_end];
        let end = self.line_end(start);
        self.skip(end);
        if name.starts_with('g') || name == "crosstabview" || name == "watch" {
            self.emit();
        } else if name == "r" {
            self.buf.clear();
        }
    }

    fn line_end(&self, from: usize) -> usize {
        self.b[from..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.b.len(), |n| from + n)
    }

    fn block_comment_end(&self, start: usize) -> usize {
        let mut depth = 0u32;
        let mut i = start;
        while i + 1 < self.b.len() {
            match (self.b[i], self.b[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => i += 1,
            }
        }
        self.b.len()
    }

    /// `E'…'` (also `e'…'`) strings take backslash escapes; others only `''`.
    fn is_escape_string(&self, quote: usize) -> bool {
        quote >= 1
            && matches!(self.b[quote - 1], b'e' | b'E')
            && (quote < 2 || !is_ident_char(self.b[quote - 2]))
    }

    fn quoted_end(&self, start: usize, quote: u8, escapes: bool) -> usize {
        let mut i = start + 1;
        while i < self.b.len() {
            let c = self.b[i];
            if escapes && c == b'\\' {
                i += 2;
                continue;
            }
            if c == quote {
                if self.b.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i += 1;
        }
        self.b.len()
    }

    /// The end of `$tag$ … $tag$`, if a dollar quote starts here (not `$1`, not inside a word).
    fn dollar_quote_end(&self, start: usize) -> Option<usize> {
        if start > 0 && is_ident_char(self.b[start - 1]) {
            return None;
        }
        let mut i = start + 1;
        if i < self.b.len() && self.b[i] != b'$' {
            if !is_ident_start(self.b[i]) {
                return None;
            }
            while i < self.b.len() && is_ident_char(self.b[i]) && self.b[i] != b'$' {
                i += 1;
            }
        }
        if self.b.get(i) != Some(&b'$') {
            return None;
        }
        let tag = &self.s[start..=i];
        let body = i + 1;
        Some(
            self.s[body..]
                .find(tag)
                .map_or(self.b.len(), |n| body + n + tag.len()),
        )
    }
}

fn copy_words(text: &str) -> Option<Vec<String>> {
    let words: Vec<String> = text
        .to_ascii_lowercase()
        .split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    (words.first().map(String::as_str) == Some("copy")).then_some(words)
}

fn is_copy_from_stdin(text: &str) -> bool {
    copy_words(text).is_some_and(|words| {
        words
            .windows(2)
            .any(|w| w[0] == "from" && matches!(w[1].as_str(), "stdin" | "pstdin"))
    })
}

/// Whether the statement is a `COPY` that exchanges data with the client (`FROM stdin`,
/// `TO stdout`): a client that sends it must then speak the copy protocol.
pub(crate) fn is_client_copy(text: &str) -> bool {
    copy_words(text).is_some_and(|words| {
        words
            .iter()
            .any(|w| matches!(w.as_str(), "stdin" | "stdout" | "pstdin" | "pstdout"))
    })
}

/// Splits `script` and compares `line: text` of each statement with `expect`.
#[cfg(test)]
fn check(script: &str, expect: &[&str]) {
    let got: Vec<String> = split(script)
        .iter()
        .map(|s| format!("{}: {}", s.line, s.text))
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn psql_splitting_rules() {
    check(
        "-- leading comment\nSELECT 1;\n\nSELECT ';', E'\\';', \"a;b\", $x$;$x$ /* ; /* ; */ */;\n",
        &[
            "2: SELECT 1;",
            "4: SELECT ';', E'\\';', \"a;b\", $x$;$x$ /* ; /* ; */ */;",
        ],
    );
    // Parentheses and a routine's BEGIN ATOMIC body hold semicolons; a transaction's BEGIN
    // does not.
    check(
        "CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2);\nBEGIN;\n\
         CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n",
        &[
            "1: CREATE RULE r AS ON INSERT TO t DO (SELECT 1; SELECT 2);",
            "2: BEGIN;",
            "3: CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;",
        ],
    );
    // Backslash commands are not SQL; `\gset` sends, `\;` joins, COPY data is skipped.
    check(
        "\\set x 1\nSELECT 1 AS a \\gset\nSELECT 2 \\; SELECT 3;\nCOPY t FROM stdin;\n1\t2\n\\.\nSELECT $1;\n",
        &[
            "2: SELECT 1 AS a",
            "3: SELECT 2 ; SELECT 3;",
            "4: COPY t FROM stdin;",
            "7: SELECT $1;",
        ],
    );
    assert!(is_client_copy("COPY t (a) TO STDOUT (FORMAT csv);"));
    assert!(!is_client_copy("COPY t FROM '/tmp/data';"));
}
