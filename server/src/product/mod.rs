//! Product domain logic: token format and verification cache, Stripe signatures, CSV, usage
//! aggregation, rate limits, plans. The `http::*` route modules of issue 7 wire these up; their SQL
//! lives in [`db`].

pub(crate) mod config;
pub(crate) mod csv;
pub(crate) mod db;
pub(crate) mod limits;
pub(crate) mod observability;
pub(crate) mod origin;
pub(crate) mod plans;
pub(crate) mod ratelimit;
pub(crate) mod stripe_sig;
pub(crate) mod token;
pub(crate) mod usage;
pub(crate) mod verify;
