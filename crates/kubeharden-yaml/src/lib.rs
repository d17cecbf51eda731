//! A YAML tree that remembers where every node came from.
//!
//! Kubernetes manifests are YAML (or JSON, which is YAML too). Findings must point at
//! the exact line and column of a field, so this crate parses with `saphyr-parser`
//! (which reports source spans) into [`Node`]s that carry a [`Pos`], and lets typed
//! Kubernetes structs be deserialized straight from that tree ([`from_node`]) with
//! errors that name the line of the offending field.
//!
//! Hostile input is bounded here, once for every caller: nesting depth, node count and
//! alias expansion ("billion laughs") all have limits ([`Limits`]).

#![forbid(unsafe_code)]

mod de;
mod node;
mod offending;
mod parse;
mod path;
mod split;

pub use de::{from_node, from_node_noting_unknown, DeError};
pub use node::{Entry, Node, Pos, Resolved, Scalar, ScalarStyle, Value};
pub use parse::{parse_chunk, Document, DuplicateKey, Limits, YamlError};
pub use path::{FieldPath, Located, Seg};
pub use split::{split_documents, Chunk};
