//! What the fuzz targets share: a scratch folder per process ([`scratch`]), the
//! bundle format that turns one input into a tree of files ([`bundle`]), arbitrary
//! clusters rendered as Kubernetes objects ([`cluster`]), and the checks every
//! rendered report must pass ([`output`]).

pub mod bundle;
pub mod cluster;
pub mod output;
pub mod scratch;
