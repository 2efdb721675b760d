//! Funs: external (`fun M:F/A`, EXPORT_EXT) and local closures (NEW_FUN_EXT), kept as the data the
//! wire carries; a local fun can only be called on a BEAM node that has its module.

use super::{Atom, Pid, Term};

/// A fun. Local funs sort before external ones, as in OTP 25.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fun {
    Export(Box<ExportFun>),
    Local(Box<LocalFun>),
}

/// `fun Module:Function/Arity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExportFun {
    pub module: Atom,
    pub function: Atom,
    pub arity: u8,
}

/// A closure as NEW_FUN_EXT carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalFun {
    pub arity: u8,
    pub uniq: [u8; 16],
    pub index: u32,
    pub module: Atom,
    pub old_index: u32,
    pub old_uniq: u32,
    pub pid: Pid,
    pub free_vars: Vec<Term>,
}
