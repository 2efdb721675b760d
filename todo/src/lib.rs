//! The todo service of *Elixir in Action*, chapter 12, as a Rust node: the same global names,
//! calls, terms and files as the book's Elixir nodes, so both kinds serve one cluster's lists.
//! The runtime (processes, global, erpc) is the `node` crate's; nothing here changes it.

pub mod atomic_write;
pub mod cache;
pub mod catch_up;
pub mod cli;
pub mod config;
pub mod database;
pub mod database_rpc;
pub mod date;
pub mod list_file;
pub mod map_order;
pub mod node_monitor;
#[cfg(test)]
mod otp_file_tests;
pub mod replication;
pub mod server;
pub mod term_text;
pub mod todo_list;
pub mod web;
pub mod web_request;
