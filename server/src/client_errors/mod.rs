//! Client error reports (`POST /api/v1/errors`) from the loader, runtime and widgets: counted in
//! metrics, a sample logged, nothing stored. No tables.

pub(crate) mod http;
