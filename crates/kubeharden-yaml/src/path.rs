//! Field paths (`spec.containers[1].securityContext.privileged`) and finding the
//! source position of the field they name, or of its nearest present parent.

use std::fmt;

use crate::node::{Node, Pos, Value};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    Key(Box<str>),
    Index(usize),
}

/// A path from an object's root to one of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Seg>);

impl FieldPath {
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// Parses a dotted path of plain keys and `[n]` indexes, e.g. `spec.template.spec`.
    pub fn parse(dotted: &str) -> FieldPath {
        let mut path = FieldPath::root();
        for part in dotted.split('.').filter(|p| !p.is_empty()) {
            let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if !key.is_empty() {
                path.0.push(Seg::Key(key.into()));
            }
            for idx in rest.split('[') {
                if let Ok(i) = idx.trim_end_matches(']').parse() {
                    path.0.push(Seg::Index(i));
                }
            }
        }
        path
    }

    #[must_use]
    pub fn key(&self, key: &str) -> FieldPath {
        let mut next = self.clone();
        next.0.push(Seg::Key(key.into()));
        next
    }

    #[must_use]
    pub fn index(&self, index: usize) -> FieldPath {
        let mut next = self.clone();
        next.0.push(Seg::Index(index));
        next
    }

    /// `a.b.c` appended segment by segment.
    #[must_use]
    pub fn join(&self, dotted: &str) -> FieldPath {
        let mut next = self.clone();
        next.0.extend(FieldPath::parse(dotted).0);
        next
    }

    pub fn segments(&self) -> &[Seg] {
        &self.0
    }
}

impl FieldPath {
    /// The path as text, with the list item of segment `i` written as `[name]` where
    /// `name(i)` gives one, as `[n]` otherwise: `spec.containers[web].env[TOKEN]`.
    pub fn to_string_naming<'a>(&self, name: impl Fn(usize) -> Option<&'a str>) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_naming(&mut text, name);
        text
    }

    fn write_naming<'a>(
        &self,
        f: &mut impl fmt::Write,
        name: impl Fn(usize) -> Option<&'a str>,
    ) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => match name(i) {
                    Some(item) => write!(f, "[{item}]")?,
                    None => write!(f, "[{n}]")?,
                },
                Seg::Key(k) if k.contains(['.', '[', ']', '/']) => write!(f, "[{k:?}]")?,
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_naming(f, |_| None)
    }
}

/// Where a path points: the field itself when present, otherwise its nearest present
/// parent (`exact` is then false).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    pub pos: Pos,
    pub exact: bool,
}

impl Node {
    /// The position of the field `path` names: the key of a mapping entry, or the
    /// item of a list.
    pub fn locate(&self, path: &FieldPath) -> Located {
        self.walk(path, |entry_key, _| entry_key)
    }

    /// The position of the value `path` names (for a mapping entry, its value, not
    /// its key): where a wrong value is.
    pub fn locate_value(&self, path: &FieldPath) -> Located {
        self.walk(path, |_, value| value)
    }

    /// Follows `path`, each step's position chosen by `pick(key or item, value)`.
    fn walk(&self, path: &FieldPath, pick: impl Fn(Pos, Pos) -> Pos) -> Located {
        let mut node = self;
        let mut pos = self.pos;
        for seg in path.segments() {
            let next = match (seg, &node.value) {
                (Seg::Key(k), Value::Map(_)) => node
                    .entry(k)
                    .map(|e| (pick(e.key.pos, e.value.pos), &e.value)),
                (Seg::Index(i), Value::Seq(items)) => {
                    items.get(*i).map(|n| (pick(n.pos, n.pos), n))
                }
                _ => None,
            };
            match next {
                Some((p, n)) => {
                    pos = p;
                    node = n;
                }
                None => return Located { pos, exact: false },
            }
        }
        Located { pos, exact: true }
    }
}

impl Node {
    /// Replaces the node at `path` with null, keeping its position and the indices of
    /// its siblings. Null reads as the zero value of any field, so a typed read can go
    /// on past one bad field. Returns false when the path does not exist.
    pub fn nullify(&mut self, path: &FieldPath) -> bool {
        let mut node = self;
        for seg in path.segments() {
            let next = match (seg, &mut node.value) {
                (Seg::Key(k), Value::Map(entries)) => entries
                    .iter_mut()
                    .rev()
                    .find(|e| e.key.scalar().is_some_and(|s| *s.text == **k))
                    .map(|e| &mut e.value),
                (Seg::Index(i), Value::Seq(items)) => items.get_mut(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return false,
            }
        }
        node.value = Value::Scalar(crate::Scalar {
            text: "".into(),
            style: crate::ScalarStyle::Plain,
            forced_str: false,
        });
        true
    }
}

impl FieldPath {
    /// Builds a path from segments such as `containers`, `[0]`, `image`.
    pub fn from_segments<'a>(segments: impl IntoIterator<Item = &'a str>) -> FieldPath {
        FieldPath(
            segments
                .into_iter()
                .map(|s| {
                    match s
                        .strip_prefix('[')
                        .and_then(|r| r.strip_suffix(']'))
                        .and_then(|n| n.parse().ok())
                    {
                        Some(i) => Seg::Index(i),
                        None => Seg::Key(s.into()),
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_chunk, split_documents, Limits};

    fn root(text: &str) -> Node {
        parse_chunk(split_documents(text)[0], &Limits::default())
            .remove(0)
            .unwrap()
            .root
    }

    #[test]
    fn renders_kubernetes_style_paths() {
        let p = FieldPath::parse("spec.containers[1].securityContext").key("privileged");
        assert_eq!(
            p.to_string(),
            "spec.containers[1].securityContext.privileged"
        );
        let a = FieldPath::parse("metadata.annotations")
            .key("container.apparmor.security.beta.kubernetes.io/app");
        assert_eq!(
            a.to_string(),
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"]"
        );
    }

    #[test]
    fn locates_present_fields_and_nearest_parents() {
        let node = root("spec:\n  containers:\n  - name: a\n  - name: b\n    securityContext:\n      privileged: true\n");
        let hit = node.locate(&FieldPath::parse(
            "spec.containers[1].securityContext.privileged",
        ));
        assert_eq!(
            hit,
            Located {
                pos: Pos::new(6, 7),
                exact: true
            }
        );
        let missing = node.locate(&FieldPath::parse(
            "spec.containers[0].securityContext.runAsNonRoot",
        ));
        assert_eq!(
            missing,
            Located {
                pos: Pos::new(3, 5),
                exact: false
            }
        );
    }
}
