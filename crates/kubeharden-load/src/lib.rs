//! From paths to Kubernetes objects.
//!
//! - [`discover`] walks files and folders (honouring `.gitignore` and `--exclude`),
//! - [`read_source`] reads one input with a size limit and a UTF-8 check,
//! - [`objects_from_document`] turns a parsed YAML document into [`Object`]s
//!   (flattening `List` kinds, skipping documents that are not Kubernetes objects),
//! - [`objects_from_dockerfile`] reads a Dockerfile's build stages as one object,
//! - [`Workload`] is the typed pod spec of every kind that carries one.

#![forbid(unsafe_code)]

mod discover;
mod dockerfile;
mod error;
pub mod kustomize;
mod object;
mod payload;
mod quantity;
mod render_targets;
mod scope;
mod source;
mod workload;

pub use discover::{
    discover, BadExclude, Discovered, Input, NotScanned, RenderKind, RenderTarget, Root,
};
pub use dockerfile::{is_dockerfile, objects_from_dockerfile};
pub use error::{FieldError, LoadError, LoadErrorKind, Warning, WarningKind};
pub use object::{load_text, objects_from_document, DocumentObjects, Object, Resource};
pub use payload::decode_payload;
pub use quantity::is_quantity;
pub use scope::{is_builtin_group, is_namespaced, DEFAULT_NAMESPACE};
pub use source::{decode_text, read_at_most, read_source, Source, DEFAULT_MAX_FILE_SIZE};
pub use workload::{read_field, ContainerKind, ContainerRef, Workload, WORKLOAD_KINDS};
