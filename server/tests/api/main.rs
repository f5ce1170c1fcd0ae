//! The server's one integration harness: the real server on port 0, real HTTP, a fresh SQLite file
//! and a fresh Postgres database per test (see [`common`]). One module per server domain; most
//! tests run on both stores (`both_stores!`: `<name>::sqlite` and `<name>::postgres`).

mod common;

mod accounts;
mod assets;
mod billing;
mod builder;
mod dashboard;
mod drafts;
mod faults;
mod hidden_fields;
mod operator;
mod ops;
mod postgres;
mod submissions;
mod tenancy;
mod tokens;
mod usage;
mod users;
mod webhooks;
mod workspaces;
