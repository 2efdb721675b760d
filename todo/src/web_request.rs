//! What an HTTP request asks for, decided from its method, path and query string alone, as the
//! book's `Todo.Web` router reads them (parameters from the query string, `+` as space). Pure:
//! no I/O, so every case is unit-tested. Bad input is a [`BadRequest`] that says what to fix.

use crate::date::{Date, DateError};
use crate::list_file::{self, ListNameError};
use std::collections::HashMap;

/// A request the web layer serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /add_entry?list=&date=&title=`.
    AddEntry {
        list: String,
        date: Date,
        title: String,
    },
    /// `GET /entries?list=&date=`.
    Entries { list: String, date: Date },
    /// Anything else: 404.
    NotFound,
}

/// Why a request to a known route cannot be served (answered 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    #[error("missing query parameter `{0}`: {1}")]
    Missing(&'static str, &'static str),
    #[error("bad `date`: {0}")]
    BadDate(#[from] DateError),
    #[error("bad `list`: {0}")]
    BadList(#[from] ListNameError),
    #[error("bad query string: {0}")]
    BadQuery(String),
}

const ADD_EXAMPLE: &str =
    "POST /add_entry?list=bob&date=2023-12-19&title=Dentist takes list, date and title";
const ENTRIES_EXAMPLE: &str = "GET /entries?list=bob&date=2023-12-19 takes list and date";

/// Decides what `method path?query` asks for.
pub fn route(method: &str, path: &str, query: Option<&str>) -> Result<Route, BadRequest> {
    let example = match (method, path) {
        ("POST", "/add_entry") => ADD_EXAMPLE,
        ("GET", "/entries") => ENTRIES_EXAMPLE,
        _ => return Ok(Route::NotFound),
    };
    let mut params = parse_query(query.unwrap_or(""))?;
    let mut take = |name: &'static str| {
        params
            .remove(name)
            .ok_or(BadRequest::Missing(name, example))
    };
    let list = take("list")?;
    list_file::file_name(list.as_bytes())?;
    let date = Date::parse(&take("date")?)?;
    if path == "/entries" {
        return Ok(Route::Entries { list, date });
    }
    let title = take("title")?;
    Ok(Route::AddEntry { list, date, title })
}

/// `URI.decode_query/1` as Plug uses it: `k=v` pairs split on `&`, `+` and `%XX` decoded, the
/// last of repeated keys wins, a pair without `=` has an empty value; text must be UTF-8.
pub fn parse_query(query: &str) -> Result<HashMap<String, String>, BadRequest> {
    let mut params = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(decode_www_form(key)?, decode_www_form(value)?);
    }
    Ok(params)
}

/// `URI.decode_www_form/1`: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode_www_form(text: &str) -> Result<String, BadRequest> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = text
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        BadRequest::BadQuery(format!(
                            "{text:?} has a `%` not followed by two hex digits; write % as %25"
                        ))
                    })?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| BadRequest::BadQuery(format!("{text:?} does not decode to UTF-8 text")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec19() -> Date {
        Date::new(2023, 12, 19).unwrap()
    }

    #[test]
    fn the_books_curl_commands() {
        assert_eq!(
            route(
                "POST",
                "/add_entry",
                Some("list=bob&date=2023-12-19&title=Dentist")
            ),
            Ok(Route::AddEntry {
                list: "bob".into(),
                date: dec19(),
                title: "Dentist".into()
            })
        );
        assert_eq!(
            route("GET", "/entries", Some("list=bob&date=2023-12-19")),
            Ok(Route::Entries {
                list: "bob".into(),
                date: dec19()
            })
        );
    }

    #[test]
    fn decodes_as_plug() {
        let params = parse_query("title=Buy+milk%21&list=a%2Fb&x&list=c&&").unwrap();
        assert_eq!(params["title"], "Buy milk!");
        assert_eq!(params["list"], "c");
        assert_eq!(params["x"], "");
        assert_eq!(parse_query("t=%C3%A9").unwrap()["t"], "é");
        assert!(matches!(parse_query("t=%"), Err(BadRequest::BadQuery(_))));
        assert!(matches!(parse_query("t=%g1"), Err(BadRequest::BadQuery(_))));
        assert!(matches!(parse_query("t=%ff"), Err(BadRequest::BadQuery(_))));
    }

    #[test]
    fn other_requests_are_not_found() {
        for (method, path) in [
            ("GET", "/add_entry"),
            ("POST", "/entries"),
            ("HEAD", "/entries"),
            ("GET", "/"),
            ("GET", "/entries/"),
            ("DELETE", "/add_entry"),
        ] {
            assert_eq!(
                route(method, path, Some("list=bob&date=2023-12-19")),
                Ok(Route::NotFound)
            );
        }
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let e = route("GET", "/entries", Some("date=2023-12-19")).unwrap_err();
        assert_eq!(e, BadRequest::Missing("list", ENTRIES_EXAMPLE));
        assert!(e.to_string().contains("missing query parameter `list`"));
        let e = route("GET", "/entries", None).unwrap_err();
        assert_eq!(e, BadRequest::Missing("list", ENTRIES_EXAMPLE));
        let e = route("POST", "/add_entry", Some("list=bob&date=2023-12-19")).unwrap_err();
        assert_eq!(e, BadRequest::Missing("title", ADD_EXAMPLE));
        let e = route("GET", "/entries", Some("list=bob&date=20231219")).unwrap_err();
        assert!(e.to_string().starts_with("bad `date`"), "{e}");
        let e = route("GET", "/entries", Some("list=bob&date=2023-02-30")).unwrap_err();
        assert!(matches!(e, BadRequest::BadDate(DateError::InvalidDate(_))));
        let e = route("GET", "/entries", Some("list=&date=2023-12-19")).unwrap_err();
        assert_eq!(e, BadRequest::BadList(ListNameError::Empty));
        let long = format!("list={}&date=2023-12-19", "x".repeat(300));
        assert!(matches!(
            route("GET", "/entries", Some(&long)),
            Err(BadRequest::BadList(ListNameError::TooLong(300)))
        ));
        let e = route("GET", "/entries", Some("list=..%2Fx&date=2023-12-19")).unwrap_err();
        assert_eq!(e, BadRequest::BadList(ListNameError::LeadingDot));
        let e = route("GET", "/entries", Some("list=a%2Fb&date=2023-12-19")).unwrap_err();
        assert_eq!(e, BadRequest::BadList(ListNameError::Separator));
    }

    #[test]
    fn odd_but_valid_names_and_titles_pass() {
        assert_eq!(
            route(
                "POST",
                "/add_entry",
                Some("list=my%20list%2C%20caf%C3%A9&date=2023-12-19&title=")
            ),
            Ok(Route::AddEntry {
                list: "my list, café".into(),
                date: dec19(),
                title: String::new()
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn any_query_is_answered_without_panic(query in ".{0,80}", date in "[-+0-9]{0,12}") {
            let _ = route("GET", "/entries", Some(&query));
            let _ = route("POST", "/add_entry", Some(&format!("list=a&title=t&date={date}")));
            let _ = Date::parse(&date);
        }
    }
}
