//! The text form of pids, ports, references and local funs, which `~w` cannot print readably:
//! `#Pid<'n@h'.ID.SERIAL.CREATION>`, `#Port<'n@h'.ID.CREATION>`, `#Ref<'n@h'.CREATION.W1..>`, `#Fun<..>`.

use super::atom_text::write_quoted;
use crate::term::{LocalFun, Pid, Port, Reference};

/// The forms, for `--help` and error messages.
pub const FORMS: &str = concat!(
    "  #Pid<'NODE'.ID.SERIAL.CREATION>\n",
    "  #Port<'NODE'.ID.CREATION>\n",
    "  #Ref<'NODE'.CREATION.W1.W2.W3>        (0 to 5 id words, in wire order)\n",
    "  #Fun<'MODULE'.ARITY.INDEX.UNIQ.OLD_INDEX.OLD_UNIQ,PID,[FREE_VAR,...]>\n",
    "                                        (UNIQ: 32 hex digits, the module's MD5)",
);

pub fn write_pid(out: &mut String, pid: &Pid) {
    out.push_str("#Pid<");
    write_quoted(out, pid.node.as_str(), '\'');
    out.push_str(&format!(".{}.{}.{}>", pid.id, pid.serial, pid.creation));
}

pub fn write_port(out: &mut String, port: &Port) {
    out.push_str("#Port<");
    write_quoted(out, port.node.as_str(), '\'');
    out.push_str(&format!(".{}.{}>", port.id, port.creation));
}

pub fn write_ref(out: &mut String, reference: &Reference) {
    out.push_str("#Ref<");
    write_quoted(out, reference.node.as_str(), '\'');
    out.push_str(&format!(".{}", reference.creation));
    for word in &reference.ids {
        out.push_str(&format!(".{word}"));
    }
    out.push('>');
}

/// Writes the head of a local fun, up to and including the `,` before its free variables; the
/// caller writes the free-variable list and the closing `>`.
pub fn write_local_fun_head(out: &mut String, fun: &LocalFun) {
    out.push_str("#Fun<");
    write_quoted(out, fun.module.as_str(), '\'');
    out.push_str(&format!(".{}.{}.", fun.arity, fun.index));
    for byte in fun.uniq {
        out.push_str(&format!("{byte:02x}"));
    }
    out.push_str(&format!(".{}.{},", fun.old_index, fun.old_uniq));
    write_pid(out, &fun.pid);
    out.push(',');
}
