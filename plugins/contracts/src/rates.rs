//! The Czech National Bank's exchange rate of a day, through the
//! connection `cnb` an administrator sets up: the bank's daily file of
//! rates (`země|měna|množství|kód|kurz`, a rate for `množství` units with
//! a decimal comma), which for a day without a fixing gives the last one.

use chrono::NaiveDate;
use portico_sdk::Error;
use portico_sdk::connections::{self, Outgoing};

/// Where the bank keeps the daily file, below the connection's address.
const PATH: &str =
    "/cs/financni-trhy/devizovy-trh/kurzy-devizoveho-trhu/kurzy-devizoveho-trhu/denni_kurz.txt";

/// What the bank said of a currency on a day.
pub enum Rate {
    /// CZK for one unit.
    Found(f64),
    /// The file does not list the currency.
    NotListed,
    /// The connection is not set up: the clerk gives the rate.
    NotSetUp,
    /// The bank could not be asked, or did not answer with its file.
    Failed(String),
}

/// CZK for one unit of `currency` on `day`. A call out: made before the
/// call's first data operation.
pub fn of(currency: &str, day: NaiveDate) -> Rate {
    let request = Outgoing::get(PATH).query("date", day.format("%d.%m.%Y").to_string());
    match connections::call("cnb", &request) {
        Err(Error::Forbidden(_)) => Rate::NotSetUp,
        Err(e) => Rate::Failed(e.to_string()),
        Ok(answer) if !answer.is_success() => Rate::Failed(format!("HTTP {}", answer.status)),
        Ok(answer) => parse(&answer.text(), currency).map_or(Rate::NotListed, Rate::Found),
    }
}

/// The rate of `currency` in the daily file `text`, for one unit.
fn parse(text: &str, currency: &str) -> Option<f64> {
    text.lines().skip(2).find_map(|line| {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        if cols.len() != 5 || cols[3] != currency {
            return None;
        }
        let units: f64 = cols[2].parse().ok()?;
        let rate: f64 = cols[4].replace(',', ".").parse().ok()?;
        (units > 0.0 && rate > 0.0).then_some(rate / units)
    })
}
