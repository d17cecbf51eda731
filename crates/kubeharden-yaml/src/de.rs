//! Deserializing typed structs (such as `k8s-openapi`'s) straight from a [`Node`].
//!
//! Errors carry the position of the node that was wrong and the field path to it, so
//! `privileged: "yes"` becomes "containers[0].securityContext.privileged: expected a
//! boolean, found a string" at that line. Null reads as the zero value of
//! the field's type, as Go's JSON decoder (and so Kubernetes) reads it.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::node::{Entry, Node, Pos, Resolved, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeError {
    pub pos: Option<Pos>,
    /// Field path from the node deserialized to the wrong one, outermost first.
    pub path: Vec<String>,
    pub message: String,
}

impl DeError {
    fn at(mut self, pos: Pos) -> Self {
        self.pos.get_or_insert(pos);
        self
    }

    fn within(mut self, segment: String) -> Self {
        self.path.insert(0, segment);
        self
    }

    /// The field path in Kubernetes' dotted notation, e.g. `containers[0].image`.
    pub fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            if !seg.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
        out
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path_string();
        if path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            pos: None,
            path: Vec::new(),
            message: msg.to_string(),
        }
    }
}

/// Deserializes `T` from `node`.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(node)
}

thread_local! {
    /// Where [`from_node_noting_unknown`] collects the values `T` had no field for.
    static UNKNOWN: std::cell::RefCell<Option<Vec<Pos>>> = const { std::cell::RefCell::new(None) };
}

/// Deserializes `T` from `node`, also returning the positions of the values of keys
/// `T` has no field for (serde skips them as "ignored"): a misspelt `securityContex`
/// that kubectl's strict validation refuses and other clients drop.
pub fn from_node_noting_unknown<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
) -> (Result<T, DeError>, Vec<Pos>) {
    let outer = UNKNOWN.with(|u| u.borrow_mut().replace(Vec::new()));
    let result = T::deserialize(node);
    let unknown = UNKNOWN.with(|u| std::mem::replace(&mut *u.borrow_mut(), outer));
    (result, unknown.unwrap_or_default())
}

fn at(pos: Pos) -> impl FnOnce(DeError) -> DeError {
    move |e| e.at(pos)
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Seq(_) => "a list".to_string(),
        Value::Map(_) => "a mapping".to_string(),
        Value::Scalar(s) => match s.resolve() {
            Resolved::Null => "null".to_string(),
            // Values are never shown: the field may hold a password (`value: 987654321`).
            Resolved::Bool(_) => "a boolean".to_string(),
            Resolved::Int(_) => "an integer".to_string(),
            Resolved::Float(_) => "a number".to_string(),
            Resolved::Str(_) => "a string".to_string(),
        },
    }
}

impl Node {
    fn wrong_type(&self, expected: &str) -> DeError {
        DeError {
            pos: Some(self.pos),
            path: Vec::new(),
            message: format!("expected {expected}, found {}", describe(self)),
        }
    }
}

struct SeqAccess<'de> {
    items: std::iter::Enumerate<std::slice::Iter<'de, Node>>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, node)) => seed
                .deserialize(node)
                .map(Some)
                .map_err(|e| e.within(format!("[{i}]"))),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'de> {
    entries: std::slice::Iter<'de, Entry>,
    value: Option<&'de Entry>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.entries.next() {
            None => Ok(None),
            Some(entry) => {
                self.value = Some(entry);
                seed.deserialize(KeyDeserializer(&entry.key)).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value without a key"))?;
        let name = entry
            .key
            .scalar()
            .map(|s| s.text.to_string())
            .unwrap_or_else(|| "?".to_string());
        seed.deserialize(&entry.value).map_err(|e| e.within(name))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Mapping keys are always read as their text: `80: x` has key "80".
struct KeyDeserializer<'de>(&'de Node);

impl<'de> de::Deserializer<'de> for KeyDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.scalar() {
            Some(s) => visitor.visit_borrowed_str(&s.text).map_err(at(self.0.pos)),
            None => Err(self.0.wrong_type("a scalar mapping key")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::Deserializer<'de> for &'de Node {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.value {
            Value::Scalar(s) => match s.resolve() {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Str(text) => visitor.visit_borrowed_str(text),
            },
            Value::Seq(items) => visitor.visit_seq(SeqAccess {
                items: items.iter().enumerate(),
            }),
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(at(self.pos))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.resolved() {
            Some(Resolved::Bool(b)) => visitor.visit_bool(b).map_err(at(self.pos)),
            Some(Resolved::Null) => visitor.visit_bool(false).map_err(at(self.pos)),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.resolved() {
            Some(Resolved::Int(i)) => visitor.visit_i64(i).map_err(at(self.pos)),
            Some(Resolved::Null) => visitor.visit_i64(0).map_err(at(self.pos)),
            _ => Err(self.wrong_type("an integer")),
        }
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.resolved() {
            Some(Resolved::Int(i)) => visitor.visit_f64(i as f64).map_err(at(self.pos)),
            Some(Resolved::Float(f)) => visitor.visit_f64(f).map_err(at(self.pos)),
            Some(Resolved::Null) => visitor.visit_f64(0.0).map_err(at(self.pos)),
            _ => Err(self.wrong_type("a number")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    /// Where a string is wanted, a number or a boolean is the wrong type, as the API
    /// server says (`value: 8080` must be quoted); null reads as "".
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match (&self.value, self.resolved()) {
            (_, Some(Resolved::Null)) => visitor.visit_borrowed_str("").map_err(at(self.pos)),
            (Value::Scalar(s), Some(Resolved::Str(_))) => {
                visitor.visit_borrowed_str(&s.text).map_err(at(self.pos))
            }
            _ => Err(self.wrong_type("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.value {
            Value::Seq(items) => visitor.visit_seq(SeqAccess {
                items: items.iter().enumerate(),
            }),
            _ if self.is_null() => visitor.visit_seq(SeqAccess {
                items: [].iter().enumerate(),
            }),
            _ => Err(self.wrong_type("a list")),
        }
        .map_err(at(self.pos))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.value {
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                value: None,
            }),
            _ if self.is_null() => visitor.visit_map(MapAccess {
                entries: [].iter(),
                value: None,
            }),
            _ => Err(self.wrong_type("a mapping")),
        }
        .map_err(at(self.pos))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self).map_err(at(self.pos))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.scalar() {
            Some(s) => visitor
                .visit_enum(s.text.as_ref().into_deserializer())
                .map_err(at(self.pos)),
            None => Err(self.wrong_type("a string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// Unknown fields are skipped without being walked (and noted, when asked).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        UNKNOWN.with(|u| {
            if let Some(noted) = u.borrow_mut().as_mut() {
                noted.push(self.pos);
            }
        });
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i128 u8 u16 u128 char bytes byte_buf unit unit_struct tuple tuple_struct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_chunk, split_documents, Limits};
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Ctx {
        privileged: Option<bool>,
        run_as_user: Option<i64>,
    }

    #[derive(Deserialize, Debug)]
    struct Ctr {
        name: String,
        #[serde(rename = "securityContext")]
        security_context: Option<Ctx>,
    }

    #[derive(Deserialize, Debug)]
    struct Spec {
        containers: Vec<Ctr>,
    }

    fn root(text: &str) -> Node {
        let chunk = split_documents(text)[0];
        parse_chunk(chunk, &Limits::default())
            .remove(0)
            .unwrap()
            .root
    }

    #[test]
    fn unknown_keys_are_noted_where_their_values_are() {
        let node = root("containers:\n- name: a\n  securityContex: {privileged: true}\n  image: x\nhostNetwrok: true\n");
        let (spec, unknown) = from_node_noting_unknown::<Spec>(&node);
        assert!(spec.is_ok());
        let lines: Vec<(u32, u32)> = unknown.iter().map(|p| (p.line, p.col)).collect();
        assert_eq!(lines, [(3, 19), (4, 10), (5, 14)]);
        let (_, unknown) = from_node_noting_unknown::<Spec>(&root("containers: []\n"));
        assert!(unknown.is_empty());
    }

    #[test]
    fn wrong_type_names_the_field_and_its_line() {
        let node = root("containers:\n- name: a\n  securityContext:\n    privileged: \"yes\"\n");
        let err = from_node::<Spec>(&node).unwrap_err();
        assert_eq!(err.pos, Some(Pos::new(4, 17)));
        assert_eq!(
            err.path_string(),
            "containers[0].securityContext.privileged"
        );
        assert!(err.message.contains("expected a boolean"), "{err}");
    }

    #[test]
    fn a_number_or_boolean_is_not_a_string() {
        // The API server refuses `name: 8080` ("cannot unmarshal number into ... string").
        for bad in ["8080", "1.5", "true"] {
            let node = root(&format!("containers:\n- name: {bad}\n"));
            let err = from_node::<Spec>(&node).unwrap_err();
            assert_eq!(err.path_string(), "containers[0].name", "{bad}");
            assert!(err.message.contains("expected a string"), "{err}");
        }
        for good in ["\"8080\"", "'true'", "web"] {
            let node = root(&format!("containers:\n- name: {good}\n"));
            assert!(from_node::<Spec>(&node).is_ok(), "{good}");
        }
    }

    #[test]
    fn reads_values_and_nulls_like_go() {
        let node =
            root("containers:\n- name:\n  securityContext: {privileged: true, runAsUser: 0}\n");
        let spec = from_node::<Spec>(&node).unwrap();
        assert_eq!(spec.containers[0].name, "");
        let ctx = spec.containers[0].security_context.as_ref().unwrap();
        assert_eq!(ctx.privileged, Some(true));
        assert_eq!(ctx.run_as_user, Some(0));
    }

    #[test]
    fn quoted_number_is_not_an_integer() {
        let node = root("containers:\n- name: a\n  securityContext: {runAsUser: \"0\"}\n");
        let err = from_node::<Spec>(&node).unwrap_err();
        assert!(err.message.contains("expected an integer"));
    }
}
