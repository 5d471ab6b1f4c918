//! Building the spanned tree from parser events.

use std::collections::HashMap;

use hoist_diagnostics::{Diagnostic, Position, Span};
use saphyr_parser::{Event, Marker, Parser, ScanError};

use crate::{Parsed, ParsedStream};

/// Aliases may not expand a document beyond this many nodes ("billion laughs").
const MAX_NODES: usize = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub value: String,
    pub style: ScalarStyle,
    /// An explicit tag such as `!!str`, as `handle` + `suffix`.
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    /// Key-value pairs in document order; duplicate keys have been reported and dropped.
    Mapping(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar (also of `true` or `12`, as written).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Mapping(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The core-schema type a scalar is read as: from its tag (`!!int 5`), else by its plain
    /// text (`5`), else a string.
    fn core_type(&self) -> Option<&'static str> {
        let NodeKind::Scalar(s) = &self.kind else {
            return None;
        };
        match s.tag.as_deref().and_then(core_tag) {
            Some(t) => Some(t),
            None if s.tag.is_some() || s.style != ScalarStyle::Plain => Some("str"),
            None if matches!(s.value.as_str(), "" | "~" | "null" | "Null" | "NULL") => Some("null"),
            None if parse_core_bool(&s.value).is_some() => Some("bool"),
            None if parse_core_number(&s.value).is_some() => Some("float"),
            None => Some("str"),
        }
    }

    /// A scalar that YAML 1.2's core schema reads as null: empty, `~` or `null` (or `!!null`).
    pub fn is_null(&self) -> bool {
        self.core_type() == Some("null")
    }

    /// A scalar that the core schema reads as a boolean (`true`, or `!!bool true`).
    pub fn as_bool(&self) -> Option<bool> {
        match (&self.kind, self.core_type()) {
            (NodeKind::Scalar(s), Some("bool")) => parse_core_bool(&s.value),
            _ => None,
        }
    }

    /// A scalar that the core schema reads as a number (`12`, `0x1f`, `1.5e3`, `.inf`, or
    /// `!!int 12`).
    pub fn as_number(&self) -> Option<f64> {
        match (&self.kind, self.core_type()) {
            (NodeKind::Scalar(s), Some("int" | "float")) => parse_core_number(&s.value),
            _ => None,
        }
    }

    /// A human name for the node's type, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Sequence(_) => "a sequence",
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Scalar(_) if self.is_null() => "null",
            NodeKind::Scalar(_) if self.as_bool().is_some() => "a boolean",
            NodeKind::Scalar(_) if self.as_number().is_some() => "a number",
            NodeKind::Scalar(_) => "a string",
        }
    }

    /// The value of key `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value of key `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_mapping()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Converts to JSON the way GitHub reads workflow values: plain scalars become booleans,
    /// numbers and null; everything else is a string.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            NodeKind::Scalar(s) => {
                if self.is_null() {
                    serde_json::Value::Null
                } else if let Some(b) = self.as_bool() {
                    serde_json::Value::Bool(b)
                } else if let Some(n) = self.as_number() {
                    if n.fract() == 0.0 && n.abs() < 9e15 {
                        serde_json::Value::from(n as i64)
                    } else {
                        serde_json::Number::from_f64(n).map_or(
                            serde_json::Value::String(s.value.clone()),
                            serde_json::Value::Number,
                        )
                    }
                } else {
                    serde_json::Value::String(s.value.clone())
                }
            }
            NodeKind::Sequence(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            NodeKind::Mapping(pairs) => serde_json::Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn parse_core_number(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if let Some(hex) = s.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(|v| v as f64);
    }
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if sign > 0.0 && !s.starts_with('+') => return Some(f64::NAN),
        _ => {}
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let b = body.as_bytes();
    let mut i = 0;
    let digits_before = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += digits_before;
    let mut digits_after = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        digits_after = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += digits_after;
    }
    if digits_before + digits_after == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    if i != b.len() {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

fn position(m: &Marker) -> Position {
    Position::new(m.line() as u32, m.col() as u32 + 1)
}

fn span(start: &Marker, end: &Marker) -> Span {
    Span::new(position(start), position(end))
}

/// A container being filled while events arrive.
enum Frame {
    Sequence {
        items: Vec<Node>,
        start: Marker,
        anchor: usize,
    },
    Mapping {
        pairs: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        start: Marker,
        anchor: usize,
    },
}

/// Parses `text` and returns the first document's tree with any diagnostics.
///
/// Text that the YAML specification refuses only because a flow collection's lines sit left of
/// its block (which libyaml, and so GitHub, accepts) is read as GitHub reads it.
pub fn parse(text: &str) -> Parsed {
    let strict = parse_strict(text);
    let syntax_error = strict.diagnostics.iter().any(|d| d.code == "yaml-syntax");
    if !syntax_error {
        return strict;
    }
    let Some(relaxed) = crate::relax::relax_flow_indentation(text) else {
        return strict;
    };
    let mut lenient = parse_strict(&relaxed.text);
    if lenient.diagnostics.iter().any(|d| d.code == "yaml-syntax") {
        return strict;
    }
    if let Some(root) = &mut lenient.root {
        relaxed.restore(root);
    }
    for d in &mut lenient.diagnostics {
        d.span = relaxed.span(d.span);
    }
    lenient
}

fn parse_strict(text: &str) -> Parsed {
    let (mut roots, diagnostics) = parse_events(text, false);
    Parsed {
        root: roots.pop(),
        diagnostics,
    }
}

/// Parses every document of `text` (a Kubernetes manifest stream, `---`-separated). Empty
/// documents are left out; each node's span is relative to the whole text.
pub fn parse_stream(text: &str) -> ParsedStream {
    let (documents, diagnostics) = parse_events(text, true);
    ParsedStream {
        documents: documents.into_iter().filter(|d| !d.is_null()).collect(),
        diagnostics,
    }
}

/// The tree builder shared by both entry points: with `multi`, every document's root is kept;
/// without, a second document is an error (a workflow file holds one).
fn parse_events(text: &str, multi: bool) -> (Vec<Node>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut roots: Vec<Node> = Vec::new();
    let mut documents = 0;
    let mut node_count = 0usize;

    for event in Parser::new_from_str(text) {
        let (event, ev_span) = match event {
            Ok(e) => e,
            Err(e) => {
                diagnostics.push(scan_error(&e));
                break;
            }
        };
        let completed: Option<(Node, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 && !multi {
                    diagnostics.push(
                        Diagnostic::error(
                            "yaml-syntax",
                            span(&ev_span.start, &ev_span.end),
                            "a workflow file must hold exactly one YAML document",
                        )
                        .with_hint("remove the `---` separator and the second document"),
                    );
                    break;
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
                    saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
                    saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
                };
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                if let Some(t) = &tag {
                    check_scalar_tag(
                        t,
                        &value,
                        style,
                        span(&ev_span.start, &ev_span.end),
                        &mut diagnostics,
                    );
                }
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        value: value.into_owned(),
                        style,
                        tag,
                    }),
                    span: span(&ev_span.start, &ev_span.end),
                };
                Some((node, anchor))
            }
            Event::SequenceStart(anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                check_collection_tag(
                    tag.as_deref(),
                    "seq",
                    span(&ev_span.start, &ev_span.end),
                    &mut diagnostics,
                );
                stack.push(Frame::Sequence {
                    items: Vec::new(),
                    start: ev_span.start,
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                check_collection_tag(
                    tag.as_deref(),
                    "map",
                    span(&ev_span.start, &ev_span.end),
                    &mut diagnostics,
                );
                stack.push(Frame::Mapping {
                    pairs: Vec::new(),
                    pending_key: None,
                    start: ev_span.start,
                    anchor,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Sequence {
                    items,
                    start,
                    anchor,
                }) => Some((
                    Node {
                        kind: NodeKind::Sequence(items),
                        span: span(&start, &ev_span.end),
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Mapping {
                    pairs,
                    start,
                    anchor,
                    ..
                }) => Some((
                    Node {
                        kind: NodeKind::Mapping(pairs),
                        span: span(&start, &ev_span.end),
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    node_count += count_nodes(node);
                    if node_count > MAX_NODES {
                        diagnostics.push(Diagnostic::error(
                            "yaml-syntax",
                            span(&ev_span.start, &ev_span.end),
                            format!("aliases expand this document beyond {MAX_NODES} nodes"),
                        ));
                        break;
                    }
                    Some((node.clone(), 0))
                }
                None => {
                    diagnostics.push(Diagnostic::error(
                        "yaml-syntax",
                        span(&ev_span.start, &ev_span.end),
                        "alias refers to an unknown anchor",
                    ));
                    None
                }
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        let Some((node, anchor)) = completed else {
            continue;
        };
        node_count += 1;
        if anchor > 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => roots.push(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping {
                pairs, pending_key, ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => add_pair(pairs, key, node, &mut diagnostics),
            },
        }
    }
    (roots, diagnostics)
}

fn add_pair(
    pairs: &mut Vec<(Node, Node)>,
    key: Node,
    value: Node,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(name) = key.as_str() else {
        diagnostics.push(Diagnostic::error(
            "yaml-syntax",
            key.span,
            format!("a mapping key must be a string, found {}", key.type_name()),
        ));
        return;
    };
    if let Some((first, _)) = pairs.iter().find(|(k, _)| k.as_str() == Some(name)) {
        diagnostics.push(
            Diagnostic::error(
                "duplicate-key",
                key.span,
                format!(
                    "key `{name}` is already defined at line {}",
                    first.span.start.line
                ),
            )
            .with_hint("remove one of the two entries; YAML keys must be unique"),
        );
        return;
    }
    pairs.push((key, value));
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar(_) => 1,
        NodeKind::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Mapping(pairs) => {
            1 + pairs
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

fn scan_error(e: &ScanError) -> Diagnostic {
    let at = position(e.marker());
    let hint = if e.info().contains("tab") {
        Some("YAML indentation must use spaces, not tabs")
    } else if e.info().contains("mapping values are not allowed") {
        Some("quote a value that contains `: `, or fix the indentation of the line above")
    } else {
        None
    };
    let d = Diagnostic::error(
        "yaml-syntax",
        Span::on_line(at, 1),
        format!("invalid YAML: {}", e.info()),
    );
    match hint {
        Some(h) => d.with_hint(h),
        None => d,
    }
}

/// The name of a YAML core-schema tag (`!!int` or `tag:yaml.org,2002:int` → `int`), if it is
/// one GitHub's parser reads on a scalar.
fn core_tag(tag: &str) -> Option<&'static str> {
    let name = tag
        .strip_prefix("tag:yaml.org,2002:")
        .or_else(|| tag.strip_prefix("!!"))?;
    ["str", "int", "float", "bool", "null"]
        .into_iter()
        .find(|t| *t == name)
}

fn parse_core_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// GitHub's workflow parser knows only the core schema's tags: a scalar with another tag
/// (`!Ref`, `!!binary`) is refused, and a core tag must fit its value (`!!int abc`).
fn check_scalar_tag(
    tag: &str,
    value: &str,
    style: ScalarStyle,
    at: Span,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let shown = shown_tag(tag);
    let tag = shown.as_str();
    let problem = match core_tag(tag) {
        None => Some(format!(
            "GitHub's workflow parser does not read the YAML tag `{tag}`"
        )),
        // GitHub's reader takes a quoted or block scalar only as a string: a type tag on one
        // is refused before its value is looked at.
        Some(core) if core != "str" && style != ScalarStyle::Plain => {
            diagnostics.push(
                Diagnostic::error(
                    "yaml-tag",
                    at,
                    format!(
                        "a {} scalar cannot carry the tag `{tag}`",
                        style_name(style)
                    ),
                )
                .with_hint("write the value unquoted, or tag it `!!str`"),
            );
            return;
        }
        Some("int" | "float") if parse_core_number(value).is_none() => Some(format!(
            "`{value}` is not a number, but it is tagged `{tag}`"
        )),
        Some("bool") if parse_core_bool(value).is_none() => Some(format!(
            "`{value}` is not a boolean, but it is tagged `{tag}`"
        )),
        Some("null") if !matches!(value, "" | "~" | "null" | "Null" | "NULL") => {
            Some(format!("`{value}` is not null, but it is tagged `{tag}`"))
        }
        Some(_) => None,
    };
    if let Some(message) = problem {
        diagnostics.push(Diagnostic::error("yaml-tag", at, message).with_hint(
            "remove the tag; workflow values take their type from how they are written",
        ));
    }
}

fn style_name(style: ScalarStyle) -> &'static str {
    match style {
        ScalarStyle::Plain => "plain",
        ScalarStyle::SingleQuoted => "single-quoted",
        ScalarStyle::DoubleQuoted => "double-quoted",
        ScalarStyle::Literal => "literal (`|`)",
        ScalarStyle::Folded => "folded (`>`)",
    }
}

/// A sequence or mapping may carry only its own core tag (`!!seq`, `!!map`).
fn check_collection_tag(tag: Option<&str>, own: &str, at: Span, diagnostics: &mut Vec<Diagnostic>) {
    let Some(tag) = tag else { return };
    let shown = shown_tag(tag);
    let tag = shown.as_str();
    let name = tag
        .strip_prefix("tag:yaml.org,2002:")
        .or_else(|| tag.strip_prefix("!!"));
    if name != Some(own) {
        diagnostics.push(
            Diagnostic::error(
                "yaml-tag",
                at,
                format!("GitHub's workflow parser does not read the YAML tag `{tag}` here"),
            )
            .with_hint("remove the tag"),
        );
    }
}

/// A tag as it is written: `!!binary`, not the resolved `tag:yaml.org,2002:binary`.
fn shown_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(name) => format!("!!{name}"),
        None => tag.to_owned(),
    }
}
