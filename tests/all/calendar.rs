//! The calendars modules count with, checked against independent
//! implementations from PyPI: the Czech public holidays and working days
//! against `holidays` (2020–2035), and the recurrence rules the tasks
//! module offers against python-dateutil's `rrule` over three years.

use std::process::Command;

use portico_sdk::calendar::{self, Date};
use portico_sdk::recurrence::Schedule;

/// The Python of the venv that holds `holidays` and python-dateutil.
fn calendar_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CALENDAR_PYTHON") {
        return p.into();
    }
    let venv = portico_tests::repo_root().join("target/calendar-venv/bin/python");
    assert!(
        venv.exists(),
        "holidays and python-dateutil are not installed: run `cargo xtask test`, which installs them"
    );
    venv
}

fn python(script: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(calendar_python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("the calendar Python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python prints JSON")
}

fn date(s: &str) -> Date {
    calendar::parse_date(s).unwrap_or_else(|| panic!("{s} is a date"))
}

#[test]
fn czech_holidays_and_working_days_agree_with_pypi_holidays_2020_to_2035() {
    let theirs = python(
        r#"
import datetime, json, holidays
cz = holidays.CZ(years=range(2020, 2036))
days, d = [], datetime.date(2020, 1, 1)
while d <= datetime.date(2035, 12, 31):
    if d.weekday() < 5 and d not in cz:
        days.append(d.isoformat())
    d += datetime.timedelta(days=1)
print(json.dumps({"holidays": sorted(k.isoformat() for k in cz.keys()), "working": days}))
"#,
        &[],
    );
    let (mut ours_holidays, mut ours_working) = (Vec::new(), Vec::new());
    for d in date("2020-01-01")
        .iter_days()
        .take_while(|d| *d <= date("2035-12-31"))
    {
        if calendar::holiday(d).is_some() {
            ours_holidays.push(d.to_string());
        }
        if calendar::is_working_day(d) {
            ours_working.push(d.to_string());
        }
    }
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ours_holidays, list(&theirs["holidays"]));
    assert_eq!(ours_working, list(&theirs["working"]));
    // 13 holidays a year, over 16 years, and about 250 working days a year.
    assert_eq!(ours_holidays.len(), 13 * 16);
    assert!(ours_working.len() > 16 * 245, "{}", ours_working.len());
    // Counting across Easter 2026: Thursday 2 April, then Tuesday 7 April.
    assert_eq!(
        calendar::add_working_days(date("2026-04-02"), 1),
        date("2026-04-07")
    );
}

#[test]
fn the_tasks_schedules_agree_with_python_dateutil_over_three_years() {
    let offered: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(portico_tests::repo_root().join("plugins/tasks/schedules.json"))
            .expect("the tasks module's schedules"),
    )
    .expect("schedules.json is JSON");
    let rules: Vec<&str> = offered
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 10, "{rules:?}");
    // Each rule from two starts: the first of a year and a day mid-month.
    for start in ["2027-01-01", "2026-11-17"] {
        let from = date(start);
        let until = from + chrono_days(3 * 365);
        let theirs = python(
            r#"
import datetime, json, sys
from dateutil.rrule import rrulestr
start = datetime.datetime.fromisoformat(sys.argv[1])
until = datetime.datetime.fromisoformat(sys.argv[2])
out = {}
for rule in sys.argv[3:]:
    r = rrulestr(rule, dtstart=start)
    out[rule] = [d.date().isoformat() for d in r.between(start, until, inc=True)]
print(json.dumps(out))
"#,
            &[&[start, &until.to_string()][..], &rules[..]].concat(),
        );
        for rule in &rules {
            let ours: Vec<String> = Schedule::parse(rule, from)
                .unwrap_or_else(|e| panic!("{rule}: {e}"))
                .between(from, until)
                .iter()
                .map(ToString::to_string)
                .collect();
            let expected: Vec<String> = theirs[*rule]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            assert!(!expected.is_empty(), "{rule} from {start}");
            assert_eq!(ours, expected, "{rule} from {start}");
        }
    }
}

fn chrono_days(n: u64) -> chrono::Days {
    chrono::Days::new(n)
}
