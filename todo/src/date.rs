//! Elixir's `%Date{}` (ISO calendar): parsed from `YYYY-MM-DD` exactly as `Date.from_iso8601/1`
//! does, printed as `Date.to_iso8601/1`, and as the term the book's nodes send and store.

use distproto::term::{Map, Term};

/// A date of the ISO calendar, as Elixir's `%Date{calendar: Calendar.ISO}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u8,
    pub day: u8,
}

/// Why a text is not a date, in `Date.from_iso8601/1`'s two kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("{0:?} is not a date: write it as YYYY-MM-DD, e.g. 2023-12-19")]
    InvalidFormat(String),
    #[error("{0:?} is not a day of the calendar (check the month and the day)")]
    InvalidDate(String),
}

impl Date {
    /// A valid date, or `None` (month 1..=12, day within the month, leap years as ISO).
    pub fn new(year: i64, month: u8, day: u8) -> Option<Date> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// `Date.from_iso8601/1`: `[+|-]YYYY-MM-DD`, four-digit year, nothing before or after.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let format_error = || DateError::InvalidFormat(text.to_string());
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'-') => (-1, &text[1..]),
            Some(b'+') => (1, &text[1..]),
            _ => (1, text),
        };
        let bytes = rest.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(format_error());
        }
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = rest.get(range)?;
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10))
        else {
            return Err(format_error());
        };
        Date::new(sign * year, month as u8, day as u8)
            .ok_or_else(|| DateError::InvalidDate(text.to_string()))
    }

    /// `Date.to_iso8601/1`: the year zero-padded to four digits, `-` before a negative year.
    pub fn to_iso8601(&self) -> String {
        let sign = if self.year < 0 { "-" } else { "" };
        format!(
            "{sign}{:04}-{:02}-{:02}",
            self.year.unsigned_abs(),
            self.month,
            self.day
        )
    }

    /// `%Date{}` as a term: `#{'__struct__' => 'Elixir.Date', calendar => 'Elixir.Calendar.ISO',
    /// day => D, month => M, year => Y}`.
    pub fn to_term(&self) -> Term {
        let pairs = [
            ("__struct__", Term::atom("Elixir.Date")),
            ("calendar", Term::atom("Elixir.Calendar.ISO")),
            ("day", Term::from(self.day)),
            ("month", Term::from(self.month)),
            ("year", Term::from(self.year)),
        ];
        match Map::from_pairs(pairs.into_iter().map(|(k, v)| (Term::atom(k), v))) {
            Ok(map) => Term::Map(map),
            Err(_) => Term::nil(), // unreachable: the keys are distinct
        }
    }

    /// A `%Date{}` term of the ISO calendar back to a date; `None` for anything else.
    pub fn from_term(term: &Term) -> Option<Date> {
        let Term::Map(map) = term else { return None };
        let get = |key: &str| map.get(&Term::atom(key));
        if map.len() != 5
            || get("__struct__")?.as_atom()? != "Elixir.Date"
            || get("calendar")?.as_atom()? != "Elixir.Calendar.ISO"
        {
            return None;
        }
        let int = |key: &str| match get(key) {
            Some(Term::Integer(n)) => Some(*n),
            _ => None,
        };
        let month = u8::try_from(int("month")?).ok()?;
        let day = u8::try_from(int("day")?).ok()?;
        Date::new(int("year")?, month, day)
    }
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The proleptic Gregorian rule `Calendar.ISO.leap_year?/1` uses (year 0 is a leap year).
fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_elixir_accepts() {
        assert_eq!(
            Date::parse("2023-12-19"),
            Ok(Date::new(2023, 12, 19).unwrap())
        );
        assert_eq!(
            Date::parse("+2023-12-19"),
            Ok(Date::new(2023, 12, 19).unwrap())
        );
        assert_eq!(Date::parse("-0001-01-01"), Ok(Date::new(-1, 1, 1).unwrap()));
        assert_eq!(
            Date::parse("2024-02-29"),
            Ok(Date::new(2024, 2, 29).unwrap())
        );
    }

    #[test]
    fn rejects_what_elixir_rejects() {
        for bad in [
            "20231219",
            "2023-12-1",
            "12023-01-01",
            " 2023-12-19",
            "2023-12-19T00:00:00",
            "",
            "-",
            "2023-1a-01",
            "2023-+1-01",
            "२०२३-१२-१९",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::InvalidFormat(_))),
                "{bad}"
            );
        }
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "2023-01-00",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::InvalidDate(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn prints_as_elixir() {
        assert_eq!(Date::new(2023, 12, 19).unwrap().to_iso8601(), "2023-12-19");
        assert_eq!(Date::new(33, 1, 1).unwrap().to_iso8601(), "0033-01-01");
        assert_eq!(Date::new(-1, 1, 1).unwrap().to_iso8601(), "-0001-01-01");
    }

    #[test]
    fn term_round_trip() {
        let date = Date::new(2023, 12, 19).unwrap();
        assert_eq!(
            distproto::text::write_term(&date.to_term()),
            "#{'__struct__' => 'Elixir.Date',calendar => 'Elixir.Calendar.ISO',day => 19,month => 12,year => 2023}"
        );
        assert_eq!(Date::from_term(&date.to_term()), Some(date));
        assert_eq!(Date::from_term(&Term::atom("nil")), None);
    }
}
