//! The replica files against real OTP: bytes written by `erl`'s `term_to_binary` (OTP 25's
//! ATOM_EXT and OTP 26's SMALL_ATOM_UTF8_EXT atoms) are read, and ours are OTP 25's, byte for
//! byte, and read back by `erl`; big maps are walked in `erl`'s order. Each test starts its own
//! `erl -noshell`; skipped without erl.

use crate::database::Database;
use crate::date::Date;
use crate::todo_list::{new_entry, TodoList};
use std::path::Path;
use std::process::Command;

/// The book's three-entry list, in Erlang syntax.
const THREE_ENTRIES: &str = r#"
    D = fun(Day) -> #{'__struct__' => 'Elixir.Date', calendar => 'Elixir.Calendar.ISO',
                      day => Day, month => 12, year => 2023} end,
    L = #{'__struct__' => 'Elixir.Todo.List', next_id => 4,
          entries => #{1 => #{date => D(19), id => 1, title => <<"Dentist">>},
                       2 => #{date => D(20), id => 2, title => <<"Shopping">>},
                       3 => #{date => D(19), id => 3, title => <<"Movies"/utf8>>}}},
"#;

fn three_entries() -> TodoList {
    let mut list = TodoList::new();
    for (day, title) in [(19, "Dentist"), (20, "Shopping"), (19, "Movies")] {
        list.add_entry(new_entry(&Date::new(2023, 12, day).unwrap(), title));
    }
    list
}

/// Runs `erl -noshell -eval Code` in `dir`; `None` when erl is not installed.
fn erl(dir: &Path, code: &str) -> Option<String> {
    let output = match Command::new("erl")
        .args(["-noshell", "-start_epmd", "false", "-eval", code])
        .current_dir(dir)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("erl is not installed: skipping the OTP file test");
            return None;
        }
        Err(e) => panic!("cannot run erl: {e}"),
    };
    assert!(output.status.success(), "erl failed: {output:?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn reads_otp25_and_otp26_files_and_writes_otp25_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("n1");
    std::fs::create_dir(&folder).unwrap();
    let code = format!(
        "{THREE_ENTRIES}
         ok = file:write_file(\"n1/otp25\", term_to_binary(L)),
         ok = file:write_file(\"n1/otp26\", term_to_binary(L, [{{minor_version, 2}}])),
         halt()."
    );
    if erl(dir.path(), &code).is_none() {
        return;
    }
    let db = Database::open(dir.path(), "n1@localhost").unwrap();
    let otp25 = std::fs::read(folder.join("otp25")).unwrap();
    let otp26 = std::fs::read(folder.join("otp26")).unwrap();
    assert_eq!(otp25.get(6), Some(&100), "OTP 25 writes ATOM_EXT");
    assert_eq!(
        otp26.get(6),
        Some(&119),
        "minor version 2 writes SMALL_ATOM_UTF8_EXT"
    );
    assert_eq!(db.get(b"otp25").await.unwrap(), Some(three_entries()));
    assert_eq!(db.get(b"otp26").await.unwrap(), Some(three_entries()));

    db.store_local(b"ours", &three_entries().to_term())
        .await
        .unwrap();
    assert_eq!(std::fs::read(folder.join("ours")).unwrap(), otp25);
}

#[tokio::test]
async fn erl_reads_our_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path(), "n1@localhost").unwrap();
    db.store_local(b"bob", &three_entries().to_term())
        .await
        .unwrap();
    let code = format!(
        "{THREE_ENTRIES}
         {{ok, B}} = file:read_file(\"n1/bob\"),
         io:format(\"~p~n\", [binary_to_term(B) =:= L]),
         halt()."
    );
    if let Some(out) = erl(dir.path(), &code) {
        assert_eq!(out.trim(), "true");
    }
}

#[test]
fn big_maps_are_walked_in_erls_order() {
    let dir = tempfile::tempdir().unwrap();
    let code = "lists:foreach(fun(N) ->
                    M = maps:from_list([{I, x} || I <- lists:seq(1, N)]),
                    io:format(\"~w~n\", [maps:keys(M)])
                end, lists:seq(1, 200) ++ [1000, 5000]),
                halt().";
    let Some(out) = erl(dir.path(), code) else {
        return;
    };
    let sizes: Vec<i64> = (1..=200).chain([1000, 5000]).collect();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), sizes.len());
    for (n, line) in sizes.iter().zip(lines) {
        let ours = crate::map_order::beam_order((1..=*n).collect());
        let ours: Vec<String> = ours.iter().map(|k| k.to_string()).collect();
        assert_eq!(format!("[{}]", ours.join(",")), line, "{n} keys");
    }
}
