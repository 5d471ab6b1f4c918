//! Splits an expression into tokens, with GitHub's rules for what ends a token.

use crate::errors::{ErrorKind, ExprError, Reason};
use crate::number::parse_js_number;

/// GitHub refuses expressions longer than this many characters.
pub const MAX_EXPRESSION_LENGTH: usize = 21_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Dot,
    Bang,
    BangEqual,
    EqualEqual,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    And,
    Or,
    Star,
    Number,
    String,
    Identifier,
    True,
    False,
    Null,
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    /// The source text of the token.
    pub(crate) lexeme: String,
    /// 0-based character offset of the token's first character.
    pub(crate) start: usize,
    /// Character offset one past the token's end.
    pub(crate) end: usize,
    pub(crate) number: f64,
    /// The unquoted value of a string literal.
    pub(crate) string: String,
}

impl Token {
    /// How GitHub shows a token in an error message.
    pub(crate) fn display(&self) -> &str {
        match self.kind {
            TokenKind::Eof => "EOF",
            TokenKind::String => &self.string,
            _ => &self.lexeme,
        }
    }
}

pub(crate) fn lex(input: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = input.chars().collect();
    if chars.len() > MAX_EXPRESSION_LENGTH {
        return Err(ExprError {
            kind: ErrorKind::Lexing,
            message: format!("Exceeded max expression length {MAX_EXPRESSION_LENGTH}"),
            offset: None,
            len: 0,
            name: None,
            reason: Reason::MaxLength,
        });
    }
    let mut lexer = Lexer {
        input,
        chars,
        start: 0,
        offset: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    input: &'a str,
    chars: Vec<char>,
    start: usize,
    offset: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), ExprError> {
        while self.offset < self.chars.len() {
            self.start = self.offset;
            let c = self.chars[self.offset];
            self.offset += 1;
            match c {
                '(' => self.push(TokenKind::LeftParen),
                ')' => self.push(TokenKind::RightParen),
                '[' => self.push(TokenKind::LeftBracket),
                ']' => self.push(TokenKind::RightBracket),
                ',' => self.push(TokenKind::Comma),
                '.' => {
                    // A dot after something indexable is property access; elsewhere it starts
                    // a number such as `.5`.
                    if matches!(
                        self.previous(),
                        Some(
                            TokenKind::Identifier
                                | TokenKind::RightBracket
                                | TokenKind::RightParen
                                | TokenKind::Star
                        )
                    ) {
                        self.push(TokenKind::Dot);
                    } else {
                        self.number()?;
                    }
                }
                '-' | '+' => self.number()?,
                '!' => {
                    let kind = if self.eat('=') {
                        TokenKind::BangEqual
                    } else {
                        TokenKind::Bang
                    };
                    self.push(kind);
                }
                '=' => {
                    if self.eat('=') {
                        self.push(TokenKind::EqualEqual);
                    } else {
                        self.identifier()?;
                    }
                }
                '<' => {
                    let kind = if self.eat('=') {
                        TokenKind::LessEqual
                    } else {
                        TokenKind::Less
                    };
                    self.push(kind);
                }
                '>' => {
                    let kind = if self.eat('=') {
                        TokenKind::GreaterEqual
                    } else {
                        TokenKind::Greater
                    };
                    self.push(kind);
                }
                '&' => {
                    if self.eat('&') {
                        self.push(TokenKind::And);
                    } else {
                        self.identifier()?;
                    }
                }
                '|' => {
                    if self.eat('|') {
                        self.push(TokenKind::Or);
                    } else {
                        self.identifier()?;
                    }
                }
                '*' => self.push(TokenKind::Star),
                ' ' | '\r' | '\t' | '\n' => {}
                '\'' => self.string()?,
                c if c.is_ascii_digit() => self.number()?,
                _ => self.identifier()?,
            }
        }
        self.start = self.offset;
        self.push(TokenKind::Eof);
        Ok(())
    }

    fn previous(&self) -> Option<TokenKind> {
        self.tokens.last().map(|t| t.kind)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.offset).copied()
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.offset += 1;
            true
        } else {
            false
        }
    }

    fn lexeme(&self) -> String {
        self.chars[self.start..self.offset].iter().collect()
    }

    fn push(&mut self, kind: TokenKind) {
        self.push_with(kind, 0.0, String::new());
    }

    fn push_with(&mut self, kind: TokenKind, number: f64, string: String) {
        let lexeme = self.lexeme();
        self.tokens.push(Token {
            kind,
            lexeme,
            start: self.start,
            end: self.offset,
            number,
            string,
        });
    }

    fn error(&self, lexeme: &str) -> ExprError {
        ExprError {
            kind: ErrorKind::Lexing,
            message: format!(
                "Unexpected symbol: '{lexeme}'. Located at position {} within expression: {}",
                self.start + 1,
                self.input
            ),
            offset: Some(self.start),
            len: lexeme.chars().count().max(1),
            name: None,
            reason: Reason::UnexpectedSymbol,
        }
    }

    fn number(&mut self) -> Result<(), ExprError> {
        while let Some(c) = self.peek() {
            if is_boundary(c) && c != '.' {
                break;
            }
            self.offset += 1;
        }
        let lexeme = self.lexeme();
        match parse_js_number(&lexeme) {
            Some(n) => {
                self.push_with(TokenKind::Number, n, String::new());
                Ok(())
            }
            None => Err(self.error(&lexeme)),
        }
    }

    fn string(&mut self) -> Result<(), ExprError> {
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    let rest: String = self.chars[self.start..].iter().collect();
                    return Err(self.error(&rest));
                }
                Some('\'') => {
                    if self.chars.get(self.offset + 1) == Some(&'\'') {
                        value.push('\'');
                        self.offset += 2;
                    } else {
                        self.offset += 1;
                        break;
                    }
                }
                Some(c) => {
                    value.push(c);
                    self.offset += 1;
                }
            }
        }
        self.push_with(TokenKind::String, 0.0, value);
        Ok(())
    }

    fn identifier(&mut self) -> Result<(), ExprError> {
        while let Some(c) = self.peek() {
            if is_boundary(c) {
                break;
            }
            self.offset += 1;
        }
        let lexeme = self.lexeme();
        let mut kind = TokenKind::Identifier;
        let mut number = 0.0;
        // After a dot every word is a property name, even `true` or `null`.
        if self.previous() != Some(TokenKind::Dot) {
            match lexeme.as_str() {
                "true" => kind = TokenKind::True,
                "false" => kind = TokenKind::False,
                "null" => kind = TokenKind::Null,
                "NaN" => {
                    kind = TokenKind::Number;
                    number = f64::NAN;
                }
                "Infinity" => {
                    kind = TokenKind::Number;
                    number = f64::INFINITY;
                }
                _ => {}
            }
        }
        if !is_legal_identifier(&lexeme) {
            return Err(self.error(&lexeme));
        }
        self.push_with(kind, number, String::new());
        Ok(())
    }
}

fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '(' | '[' | ')' | ']' | ',' | '.' | '!' | '>' | '<' | '=' | '&' | '|'
    ) || crate::number::is_js_whitespace(c)
}

fn is_legal_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
