//! The API server's JSON, read straight into the positioned trees the rules read.
//!
//! A LIST answer is read item by item into [`Node`]s, never into an intermediate JSON
//! value, and each item's `metadata.managedFields` (often half of an object, and of no
//! use to any rule) is skipped as it is read. Strings become quoted scalars and
//! numbers, booleans and null plain ones, so they resolve exactly as the JSON said.
//! Objects read from a cluster have no source position: every node is at 0:0.
//! Nesting is bounded by serde_json's recursion limit (128).

use std::fmt;

use kubeharden_yaml::{Entry, Node, Pos, Scalar, ScalarStyle, Value};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One page of a LIST: its items and where the next page starts.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub items: Vec<Node>,
    /// `metadata.continue`: empty or absent on the last page.
    pub next: Option<String>,
}

/// Reads a LIST answer (`{"kind": "PodList", "metadata": {...}, "items": [...]}`).
pub(crate) fn read_page(bytes: &[u8]) -> Result<Page, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let page = PageSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(page)
}

/// Reads one object (a GET answer, or the object of an admission review).
pub fn read_object(bytes: &[u8]) -> Result<Node, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let node = NodeSeed(Place::Root).deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

fn scalar(text: impl Into<Box<str>>, style: ScalarStyle) -> Node {
    Node {
        pos: Pos::default(),
        value: Value::Scalar(Scalar {
            text: text.into(),
            style,
            forced_str: false,
        }),
    }
}

/// A string value: always a string, whatever it spells (`"true"`, `"0755"`).
pub(crate) fn string(text: impl Into<Box<str>>) -> Node {
    scalar(text, ScalarStyle::Quoted)
}

fn plain(text: impl Into<Box<str>>) -> Node {
    scalar(text, ScalarStyle::Plain)
}

/// Where a value sits in an object: what is left out depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// An object's root.
    Root,
    /// An object's `metadata`.
    Metadata,
    Other,
}

struct NodeSeed(Place);

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor(self.0))
    }
}

struct NodeVisitor(Place);

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(plain(if v { "true" } else { "false" }))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(plain(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(plain(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(plain(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(string(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(string(v))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(plain("null"))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(plain("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(NodeSeed(Place::Other))? {
            items.push(item);
        }
        Ok(Node {
            pos: Pos::default(),
            value: Value::Seq(items),
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let inner = match (self.0, key.as_str()) {
                (Place::Root, "metadata") => Place::Metadata,
                (Place::Metadata, "managedFields") => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                _ => Place::Other,
            };
            let value = map.next_value_seed(NodeSeed(inner))?;
            entries.push(Entry {
                key: string(key),
                value,
            });
        }
        Ok(Node {
            pos: Pos::default(),
            value: Value::Map(entries),
        })
    }
}

struct PageSeed;

impl<'de> DeserializeSeed<'de> for PageSeed {
    type Value = Page;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Page, D::Error> {
        deserializer.deserialize_map(PageVisitor)
    }
}

struct PageVisitor;

#[derive(serde::Deserialize, Default)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    next: Option<String>,
}

struct ItemsSeed;

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Vec<Node>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Node>, D::Error> {
        deserializer.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Vec<Node>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_unit<E>(self) -> Result<Vec<Node>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Node>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed(Place::Root))? {
            items.push(item);
        }
        Ok(items)
    }
}

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Page;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a LIST answer")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page, A::Error> {
        let mut page = Page::default();
        let mut saw_items = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" => {
                    page.items = map.next_value_seed(ItemsSeed)?;
                    saw_items = true;
                }
                "metadata" => {
                    let meta: Option<ListMeta> = map.next_value()?;
                    page.next = meta.and_then(|m| m.next).filter(|c| !c.is_empty());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_items {
            return Err(de::Error::missing_field("items"));
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeharden_yaml::Resolved;

    #[test]
    fn values_resolve_as_the_json_says() {
        let node = read_object(
            br#"{"a":"true","b":true,"c":8080,"d":null,"e":"0755","f":1.5,"g":[1,"x"]}"#,
        )
        .unwrap();
        assert_eq!(
            node.get("a").unwrap().resolved(),
            Some(Resolved::Str("true"))
        );
        assert_eq!(
            node.get("b").unwrap().resolved(),
            Some(Resolved::Bool(true))
        );
        assert_eq!(node.get("c").unwrap().resolved(), Some(Resolved::Int(8080)));
        assert!(node.get("d").unwrap().is_null());
        assert_eq!(
            node.get("e").unwrap().resolved(),
            Some(Resolved::Str("0755"))
        );
        assert_eq!(
            node.get("f").unwrap().resolved(),
            Some(Resolved::Float(1.5))
        );
        assert_eq!(node.get("g").unwrap().items().len(), 2);
    }

    #[test]
    fn pages_give_items_and_the_continue_token_without_managed_fields() {
        let page = read_page(br#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5","continue":"abc"},
            "items":[{"metadata":{"name":"p","managedFields":[{"manager":"kubectl"}],"labels":{"managedFields":"kept"}},"spec":{"managedFields":1}}]}"#).unwrap();
        assert_eq!(page.next.as_deref(), Some("abc"));
        let meta = page.items[0].get("metadata").unwrap();
        assert!(meta.get("managedFields").is_none());
        assert!(meta.get("labels").unwrap().get("managedFields").is_some());
        assert!(page.items[0]
            .get("spec")
            .unwrap()
            .get("managedFields")
            .is_some());
        let last = read_page(br#"{"metadata":{"continue":""},"items":null}"#).unwrap();
        assert_eq!(last.next, None);
        assert!(last.items.is_empty());
    }

    #[test]
    fn hostile_answers_are_errors() {
        assert!(read_page(b"{\"metadata\":{}}").is_err());
        assert!(read_page(b"not json").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(read_object(deep.as_bytes()).is_err());
    }
}
