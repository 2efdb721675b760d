//! `%Todo.List{}`, the book's pure data: entries by integer id and the next id. Converts to and
//! from the exact term the book's nodes send and store; never touches disk or the network.

use crate::date::Date;
use crate::map_order;
use distproto::term::{Map, Term};
use std::collections::BTreeMap;

/// `%Todo.List{next_id: 1, entries: %{}}`. Each entry is kept as the map the caller gave (plus
/// `id`), so keys other than `date` and `title` survive a round trip through a Rust node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoList {
    pub next_id: i64,
    pub entries: BTreeMap<i64, Map>,
}

/// Why a term is not a `%Todo.List{}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a %Todo.List{{}}: {0}")]
pub struct NotATodoList(pub String);

impl Default for TodoList {
    fn default() -> Self {
        TodoList::new()
    }
}

impl TodoList {
    /// `Todo.List.new()`.
    pub fn new() -> TodoList {
        TodoList {
            next_id: 1,
            entries: BTreeMap::new(),
        }
    }

    /// `Todo.List.add_entry/2`: puts `id => next_id` into the entry, stores it, bumps next_id.
    pub fn add_entry(&mut self, mut entry: Map) {
        let id = self.next_id;
        entry.insert(Term::atom("id"), Term::from(id));
        self.entries.insert(id, entry);
        self.next_id += 1;
    }

    /// Takes back the entry the last `add_entry` added (when it could not be stored).
    pub fn undo_add_entry(&mut self) {
        self.next_id -= 1;
        self.entries.remove(&self.next_id);
    }

    /// `Todo.List.entries/2`: the entries whose `date` equals `date` (Erlang `==`), in the order
    /// `Map.values/1` gives on the BEAM: ascending id up to 32 entries, hash order above.
    pub fn entries(&self, date: &Term) -> Vec<Term> {
        let date_key = Term::atom("date");
        let ids = map_order::beam_order(self.entries.keys().copied().collect());
        ids.iter()
            .filter_map(|id| self.entries.get(id))
            .filter(|entry| entry.get(&date_key).is_some_and(|d| d.erlang_eq(date)))
            .map(|entry| Term::Map(entry.clone()))
            .collect()
    }

    pub fn size(&self) -> usize {
        self.entries.len()
    }

    /// The term: `#{'__struct__' => 'Elixir.Todo.List', entries => #{Id => Entry}, next_id => N}`.
    pub fn to_term(&self) -> Term {
        let entries = self
            .entries
            .iter()
            .map(|(id, entry)| (Term::from(*id), Term::Map(entry.clone())));
        let entries = Map::from_pairs(entries).unwrap_or_default();
        let pairs = [
            (Term::atom("__struct__"), Term::atom("Elixir.Todo.List")),
            (Term::atom("entries"), Term::Map(entries)),
            (Term::atom("next_id"), Term::from(self.next_id)),
        ];
        Term::Map(Map::from_pairs(pairs).unwrap_or_default())
    }

    /// Reads a `%Todo.List{}` term (from a peer or a file), checking its shape.
    pub fn from_term(term: &Term) -> Result<TodoList, NotATodoList> {
        let (next_id, entries) = parts(term)?;
        let mut list = TodoList {
            next_id,
            entries: BTreeMap::new(),
        };
        for (id, entry) in entries.iter() {
            if let (Term::Integer(id), Term::Map(entry)) = (id, entry) {
                list.entries.insert(*id, entry.clone());
            }
        }
        Ok(list)
    }

    /// Checks that `term` is a `%Todo.List{}` without copying it (what `store_local` needs).
    pub fn check(term: &Term) -> Result<(), NotATodoList> {
        parts(term).map(|_| ())
    }
}

/// The `next_id` and the checked `entries` map of a `%Todo.List{}` term.
fn parts(term: &Term) -> Result<(i64, &Map), NotATodoList> {
    let bad = |why: &str| NotATodoList(why.to_string());
    let Term::Map(map) = term else {
        return Err(bad("not a map"));
    };
    if map.get(&Term::atom("__struct__")).and_then(Term::as_atom) != Some("Elixir.Todo.List") {
        return Err(bad("'__struct__' is not 'Elixir.Todo.List'"));
    }
    let Some(Term::Integer(next_id)) = map.get(&Term::atom("next_id")) else {
        return Err(bad("next_id is not an integer"));
    };
    let Some(Term::Map(entries)) = map.get(&Term::atom("entries")) else {
        return Err(bad("entries is not a map"));
    };
    let well_formed = entries
        .iter()
        .all(|(id, entry)| matches!((id, entry), (Term::Integer(_), Term::Map(_))));
    if !well_formed {
        return Err(bad("an entry is not `integer id => map`"));
    }
    Ok((*next_id, entries))
}

/// One line of the web layer's answer: `"<ISO date> <title>"` (`"#{entry.date} #{entry.title}"`).
pub fn entry_line(entry: &Term) -> String {
    let field = |key: &str| match entry {
        Term::Map(map) => map.get(&Term::atom(key)).cloned(),
        _ => None,
    };
    let date = match field("date") {
        Some(term) => match Date::from_term(&term) {
            Some(date) => date.to_iso8601(),
            None => crate::term_text::show(&term),
        },
        None => String::new(),
    };
    let title = match field("title") {
        Some(Term::Binary(ref bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        Some(other) => crate::term_text::show(&other),
        None => String::new(),
    };
    format!("{date} {title}")
}

/// A new entry as the web layer builds it: `%{title: Title, date: Date}`.
pub fn new_entry(date: &Date, title: &str) -> Map {
    let pairs = [
        (Term::atom("date"), date.to_term()),
        (Term::atom("title"), Term::binary(title.as_bytes().to_vec())),
    ];
    Map::from_pairs(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u8) -> Date {
        Date::new(2023, 12, d).unwrap()
    }

    #[test]
    fn add_and_read_entries_as_the_book() {
        let mut list = TodoList::new();
        list.add_entry(new_entry(&day(19), "Dentist"));
        list.add_entry(new_entry(&day(20), "Shopping"));
        list.add_entry(new_entry(&day(19), "Movies"));
        assert_eq!(list.next_id, 4);
        let before = list.clone();
        list.add_entry(new_entry(&day(21), "Gym"));
        list.undo_add_entry();
        assert_eq!(list, before);
        let lines: Vec<String> = list
            .entries(&day(19).to_term())
            .iter()
            .map(entry_line)
            .collect();
        assert_eq!(lines, ["2023-12-19 Dentist", "2023-12-19 Movies"]);
        assert!(list.entries(&day(21).to_term()).is_empty());
    }

    #[test]
    fn term_is_the_books() {
        let mut list = TodoList::new();
        list.add_entry(new_entry(&day(19), "Dentist"));
        assert_eq!(
            distproto::text::write_term(&list.to_term()),
            "#{'__struct__' => 'Elixir.Todo.List',entries => #{1 => #{date => #{'__struct__' => 'Elixir.Date',calendar => 'Elixir.Calendar.ISO',day => 19,month => 12,year => 2023},id => 1,title => <<68,101,110,116,105,115,116>>}},next_id => 2}"
        );
        assert_eq!(TodoList::from_term(&list.to_term()), Ok(list));
    }

    #[test]
    fn rejects_other_terms() {
        assert!(TodoList::from_term(&Term::atom("nil")).is_err());
        assert!(TodoList::from_term(&Term::Map(Map::new())).is_err());
        let mut bad_entry = TodoList::new().to_term();
        if let Term::Map(map) = &mut bad_entry {
            let entries = Map::from_pairs([(Term::atom("one"), Term::Map(Map::new()))]).unwrap();
            map.insert(Term::atom("entries"), Term::Map(entries));
        }
        assert!(TodoList::check(&bad_entry).is_err());
        assert!(TodoList::from_term(&bad_entry).is_err());
        assert!(TodoList::check(&TodoList::new().to_term()).is_ok());
    }
}
