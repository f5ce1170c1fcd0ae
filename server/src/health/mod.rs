//! Health: `GET /api/healthz` reports the build, the environment and whether the database answers
//! (200 when up, 503 when a critical dependency is down). No tables.

pub(crate) mod http;
