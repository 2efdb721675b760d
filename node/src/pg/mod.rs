//! `pg` process groups on the Rust node: a scope process per scope name (the default `pg`, and
//! any named scope) that speaks pg's scope protocol with the same scope on BEAM and Rust nodes,
//! and the Rust API (`join`, `leave`, `get_members`, ..., `monitor_scope`) over it.

mod groups;
mod scope;

pub(crate) use scope::Shared;
pub use scope::{PgError, PgScope};

use crate::node::Node;

impl Node {
    /// The default scope `pg` (started with the node; BEAM nodes run it with
    /// `-kernel start_pg true`).
    pub fn pg(&self) -> PgScope {
        self.pg_scope("pg")
            .expect("the default pg scope starts with the node")
    }

    /// Scope `name`, started on first use (like `pg:start_link(Name)` on every node that takes
    /// part). `None` if `name` is not a valid atom or is registered by another process.
    pub fn pg_scope(&self, name: &str) -> Option<PgScope> {
        scope::scope(self, name)
    }
}
