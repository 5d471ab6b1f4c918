//! Builds a syntax tree from tokens, checking names and argument counts as GitHub does at
//! parse time: an unknown context or function is an error even in a branch never evaluated.

use crate::ast::{BinaryOp, Expr, ExprKind, Index, LogicalOp};
use crate::errors::{ErrorKind, ExprError, Reason};
use crate::functions::{BUILTIN_FUNCTIONS, FunctionSig};
use crate::lexer::{Token, TokenKind, lex};
use crate::value::Value;

/// GitHub refuses expressions nested deeper than this.
pub const MAX_DEPTH: usize = 50;

/// What names an expression may use where it appears.
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions<'a> {
    /// The named values (contexts) available; matched ignoring case. `None` allows any name.
    pub contexts: Option<&'a [&'a str]>,
    /// Functions available besides the built-in ones (`success`, `hashFiles`, ...).
    pub functions: &'a [FunctionSig],
}

impl ParseOptions<'_> {
    /// Any context name, built-in functions only.
    pub const ANY_CONTEXT: ParseOptions<'static> = ParseOptions {
        contexts: None,
        functions: &[],
    };
}

/// Parses an expression (the text inside `${{ }}`). An empty expression yields `None`.
pub fn parse(input: &str, options: &ParseOptions<'_>) -> Result<Option<Expr>, ExprError> {
    let tokens = lex(input)?;
    let mut p = Parser {
        input,
        tokens,
        pos: 0,
        depth: 0,
        options,
    };
    if p.at_end() {
        return Ok(None);
    }
    let expr = p.expression()?;
    if !p.at_end() {
        return Err(p.error(Reason::UnexpectedSymbol, p.peek_index()));
    }
    Ok(Some(expr))
}

struct Parser<'a, 'o> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    options: &'a ParseOptions<'o>,
}

impl Parser<'_, '_> {
    fn expression(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let r = self.logical_or();
        self.depth -= 1;
        r
    }

    fn logical_or(&mut self) -> Result<Expr, ExprError> {
        self.logical(TokenKind::Or, LogicalOp::Or, Self::logical_and)
    }

    fn logical_and(&mut self) -> Result<Expr, ExprError> {
        self.logical(TokenKind::And, LogicalOp::And, Self::equality)
    }

    fn logical(
        &mut self,
        token: TokenKind,
        op: LogicalOp,
        operand: fn(&mut Self) -> Result<Expr, ExprError>,
    ) -> Result<Expr, ExprError> {
        let first = operand(self)?;
        if !self.check(token) {
            return Ok(first);
        }
        self.enter()?;
        let start = first.start;
        let mut args = vec![first];
        let result = (|| {
            while self.eat(token) {
                args.push(operand(self)?);
            }
            Ok(())
        })();
        self.depth -= 1;
        result?;
        let end = args.last().map_or(start, |a| a.end);
        Ok(Expr {
            kind: ExprKind::Logical { op, args },
            start,
            end,
        })
    }

    fn equality(&mut self) -> Result<Expr, ExprError> {
        let mut expr = self.comparison()?;
        loop {
            let op = if self.eat(TokenKind::BangEqual) {
                BinaryOp::Ne
            } else if self.eat(TokenKind::EqualEqual) {
                BinaryOp::Eq
            } else {
                break;
            };
            let right = self.comparison()?;
            expr = binary(op, expr, right);
        }
        Ok(expr)
    }

    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let mut expr = self.unary()?;
        loop {
            let op = if self.eat(TokenKind::Greater) {
                BinaryOp::Gt
            } else if self.eat(TokenKind::GreaterEqual) {
                BinaryOp::Ge
            } else if self.eat(TokenKind::Less) {
                BinaryOp::Lt
            } else if self.eat(TokenKind::LessEqual) {
                BinaryOp::Le
            } else {
                break;
            };
            let right = self.unary()?;
            expr = binary(op, expr, right);
        }
        Ok(expr)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat(TokenKind::Bang) {
            let start = self.tokens[self.pos - 1].start;
            self.enter()?;
            let operand = self.unary();
            self.depth -= 1;
            let operand = operand?;
            let end = operand.end;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(operand)),
                start,
                end,
            });
        }
        self.index()
    }

    fn index(&mut self) -> Result<Expr, ExprError> {
        let expr = self.call()?;
        if !matches!(
            expr.kind,
            ExprKind::Group(_) | ExprKind::Call { .. } | ExprKind::Context(_)
        ) {
            return Ok(expr);
        }
        let mut entered = 0;
        let result = self.index_chain(expr, &mut entered);
        self.depth -= entered;
        result
    }

    /// Parses `[...]` and `.name` accessors after `expr`; `entered` counts depth levels to undo.
    fn index_chain(&mut self, mut expr: Expr, entered: &mut usize) -> Result<Expr, ExprError> {
        loop {
            let index = if self.eat(TokenKind::LeftBracket) {
                let index = if self.eat(TokenKind::Star) {
                    Index::Star
                } else {
                    Index::Expr(Box::new(self.expression()?))
                };
                self.consume(TokenKind::RightBracket)?;
                *entered += 1;
                self.enter()?;
                index
            } else if self.eat(TokenKind::Dot) {
                *entered += 1;
                self.enter()?;
                if self.eat(TokenKind::Identifier) {
                    let t = &self.tokens[self.pos - 1];
                    Index::Expr(Box::new(Expr {
                        kind: ExprKind::Literal(Value::string(&t.lexeme)),
                        start: t.start,
                        end: t.end,
                    }))
                } else if self.eat(TokenKind::Star) {
                    Index::Star
                } else {
                    return Err(self.error(Reason::UnexpectedSymbol, self.peek_index()));
                }
            } else {
                return Ok(expr);
            };
            let end = self.tokens[self.pos - 1].end;
            let start = expr.start;
            expr = Expr {
                kind: ExprKind::Index {
                    target: Box::new(expr),
                    index,
                },
                start,
                end,
            };
        }
    }

    fn call(&mut self) -> Result<Expr, ExprError> {
        if !self.check(TokenKind::Identifier) {
            return self.primary();
        }
        let ident_index = self.pos;
        self.pos += 1;
        let ident = self.tokens[ident_index].clone();
        if !self.eat(TokenKind::LeftParen) {
            if !self.context_allowed(&ident.lexeme) {
                return Err(self.error(Reason::UnrecognizedNamedValue, ident_index));
            }
            return Ok(Expr {
                kind: ExprKind::Context(ident.lexeme.clone()),
                start: ident.start,
                end: ident.end,
            });
        }
        let mut args = Vec::new();
        while !self.eat(TokenKind::RightParen) {
            args.push(self.expression()?);
            if !self.check(TokenKind::RightParen) {
                self.consume(TokenKind::Comma)?;
            }
        }
        self.validate_call(ident_index, args.len())?;
        let end = self.tokens[self.pos - 1].end;
        Ok(Expr {
            kind: ExprKind::Call {
                name: ident.lexeme,
                args,
            },
            start: ident.start,
            end,
        })
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let i = self.pos;
        let t = &self.tokens[i];
        let literal = match t.kind {
            TokenKind::False => Some(Value::Bool(false)),
            TokenKind::True => Some(Value::Bool(true)),
            TokenKind::Null => Some(Value::Null),
            TokenKind::Number => Some(Value::Number(t.number)),
            TokenKind::String => Some(Value::string(&t.string)),
            _ => None,
        };
        if let Some(v) = literal {
            self.pos += 1;
            return Ok(Expr {
                kind: ExprKind::Literal(v),
                start: t.start,
                end: t.end,
            });
        }
        if self.eat(TokenKind::LeftParen) {
            let start = self.tokens[i].start;
            let inner = self.expression()?;
            if self.at_end() {
                return Err(self.error(Reason::UnexpectedEnd, self.pos - 1));
            }
            self.consume(TokenKind::RightParen)?;
            let end = self.tokens[self.pos - 1].end;
            return Ok(Expr {
                kind: ExprKind::Group(Box::new(inner)),
                start,
                end,
            });
        }
        if self.at_end() {
            return Err(self.error(Reason::UnexpectedEnd, self.pos.saturating_sub(1)));
        }
        Err(self.error(Reason::UnexpectedSymbol, i))
    }

    fn context_allowed(&self, name: &str) -> bool {
        match self.options.contexts {
            None => true,
            Some(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    fn validate_call(&self, ident_index: usize, argc: usize) -> Result<(), ExprError> {
        let name = &self.tokens[ident_index].lexeme;
        let sig = BUILTIN_FUNCTIONS
            .iter()
            .chain(self.options.functions.iter())
            .find(|f| f.name.eq_ignore_ascii_case(name));
        let Some(sig) = sig else {
            return Err(self.error(Reason::UnrecognizedFunction, ident_index));
        };
        if argc < sig.min_args {
            return Err(self.error(Reason::TooFewParameters, ident_index));
        }
        if argc > sig.max_args {
            return Err(self.error(Reason::TooManyParameters, ident_index));
        }
        if sig.name.eq_ignore_ascii_case("case") && argc.is_multiple_of(2) {
            return Err(self.error(Reason::EvenParameters, ident_index));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(Reason::MaxDepth, self.peek_index()));
        }
        Ok(())
    }

    fn peek_index(&self) -> usize {
        self.pos.min(self.tokens.len() - 1)
    }

    fn at_end(&self) -> bool {
        self.tokens[self.pos].kind == TokenKind::Eof
    }

    fn check(&self, kind: TokenKind) -> bool {
        !self.at_end() && self.tokens[self.pos].kind == kind
    }

    fn eat(&mut self, kind: TokenKind) -> bool {
        if self.check(kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn consume(&mut self, kind: TokenKind) -> Result<(), ExprError> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.error(Reason::UnexpectedSymbol, self.peek_index()))
        }
    }

    fn error(&self, reason: Reason, token_index: usize) -> ExprError {
        let t = &self.tokens[token_index];
        let description = match reason {
            Reason::UnexpectedSymbol => "Unexpected symbol",
            Reason::UnexpectedEnd => "Unexpected end of expression",
            Reason::UnrecognizedNamedValue => "Unrecognized named-value",
            Reason::UnrecognizedFunction => "Unrecognized function",
            Reason::TooFewParameters => "Too few parameters supplied",
            Reason::TooManyParameters => "Too many parameters supplied",
            Reason::EvenParameters => {
                "Even number of parameters supplied, requires an odd number of parameters"
            }
            Reason::MaxDepth => "Exceeded max expression depth 50",
            Reason::MaxLength | Reason::Evaluation => "Invalid expression",
        };
        let message = if reason == Reason::MaxDepth {
            description.to_owned()
        } else {
            format!(
                "{description}: '{}'. Located at position {} within expression: {}",
                t.display(),
                t.start + 1,
                self.input
            )
        };
        let name = matches!(
            reason,
            Reason::UnrecognizedNamedValue | Reason::UnrecognizedFunction
        )
        .then(|| t.lexeme.clone());
        ExprError {
            kind: ErrorKind::Parsing,
            message,
            offset: Some(t.start),
            len: (t.end - t.start).max(1),
            name,
            reason,
        }
    }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let (start, end) = (left.start, right.end);
    Expr {
        kind: ExprKind::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        },
        start,
        end,
    }
}
