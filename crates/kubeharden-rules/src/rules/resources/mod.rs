//! Resource requests, limits, quotas and LimitRanges.

pub mod limit_range;
pub mod limits;
pub mod requests;
pub mod resource_quota;
