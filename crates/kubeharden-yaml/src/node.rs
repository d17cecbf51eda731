//! The positioned YAML tree.

use std::fmt;

/// A place in a source file: 1-based line and 1-based column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How a scalar was written. Only plain (unquoted) scalars are resolved to
/// booleans, numbers and null; quoted and block scalars are always strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    Quoted,
    Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: Box<str>,
    pub style: ScalarStyle,
    /// An explicit `!!str` tag forces a string even for plain text like `true`.
    pub forced_str: bool,
}

/// The typed reading of a scalar.
///
/// Kubernetes reads YAML through a YAML 1.1 decoder (go-yaml v2 in
/// sigs.k8s.io/yaml), so `yes`/`no`/`on`/`off` are booleans there and here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    pub fn resolve(&self) -> Resolved<'_> {
        if self.style != ScalarStyle::Plain || self.forced_str {
            return Resolved::Str(&self.text);
        }
        resolve_plain(&self.text)
    }
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Resolved::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Resolved::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Resolved::Str(text);
    }
    if let Some(i) = parse_int(text) {
        return Resolved::Int(i);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        // YAML 1.1 octal, as go-yaml v2 reads `0755`.
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -value } else { value })
}

fn looks_like_float(text: &str) -> bool {
    let body = text.trim_start_matches(['-', '+']);
    !body.is_empty()
        && body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One YAML node and where it starts in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

impl Node {
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn resolved(&self) -> Option<Resolved<'_>> {
        self.scalar().map(Scalar::resolve)
    }

    /// The text of a scalar that reads as a string (not null, bool or number).
    pub fn as_str(&self) -> Option<&str> {
        match self.resolved()? {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any non-null scalar, however it resolves.
    pub fn scalar_text(&self) -> Option<&str> {
        match self.resolved()? {
            Resolved::Null => None,
            _ => self.scalar().map(|s| &*s.text),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolved(), Some(Resolved::Null))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entry under `key` in a mapping. The parser refuses a key set twice; a tree
    /// built otherwise gives the last, as Kubernetes' lenient decoder does.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()
            .iter()
            .rev()
            .find(|e| e.key.scalar().is_some_and(|s| &*s.text == key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The number of nodes in this subtree, this one included.
    pub fn size(&self) -> usize {
        match &self.value {
            Value::Scalar(_) => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|e| e.key.size() + e.value.size())
                    .sum::<usize>()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Resolved<'_> {
        resolve_plain(text)
    }

    #[test]
    fn resolves_yaml_1_1_booleans_like_kubernetes() {
        assert_eq!(plain("yes"), Resolved::Bool(true));
        assert_eq!(plain("Off"), Resolved::Bool(false));
        assert_eq!(plain("true"), Resolved::Bool(true));
    }

    #[test]
    fn resolves_numbers() {
        assert_eq!(plain("0"), Resolved::Int(0));
        assert_eq!(plain("-12"), Resolved::Int(-12));
        assert_eq!(plain("0x1F"), Resolved::Int(31));
        assert_eq!(plain("0755"), Resolved::Int(0o755));
        assert_eq!(plain("1.5"), Resolved::Float(1.5));
        assert_eq!(plain("1.2.3"), Resolved::Str("1.2.3"));
        assert_eq!(plain("100m"), Resolved::Str("100m"));
        assert_eq!(plain("-"), Resolved::Str("-"));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let s = Scalar {
            text: "true".into(),
            style: ScalarStyle::Quoted,
            forced_str: false,
        };
        assert_eq!(s.resolve(), Resolved::Str("true"));
    }
}
