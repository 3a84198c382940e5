//! A collection's answers as one table, one organization a row, one field
//! a column: as CSV (`portico_sdk::csv`, no text run as a formula) and as
//! XLSX (`rust_xlsxwriter`, numbers as numbers).

use portico_forms::definition::Kind;
use portico_forms::fields;
use portico_sdk::{Context, Error, Response, Result};

use super::{answers_shown, collecting, copies, in_order};

/// A cell of the table.
enum Entry {
    Text(String),
    Number(f64),
}

/// The answers of `task`: its title, the headers and the rows.
fn table(ctx: &Context, task: &str) -> Result<(String, Vec<String>, Vec<Vec<Entry>>)> {
    let (t, form) = collecting(ctx, task)?;
    let en = !ctx.is_czech();
    let columns = in_order(&form);
    let mut headers: Vec<String> = [
        ctx.tr("Organization", "Organizace"),
        ctx.tr("State", "Stav"),
        ctx.tr("Submitted on", "Odevzdáno"),
    ]
    .map(str::to_owned)
    .to_vec();
    headers.extend(columns.iter().map(|f| f.title.clone()));
    let mut rows = Vec::new();
    for s in copies(task)? {
        let with_answers = answers_shown(s.state);
        let mut row = vec![
            Entry::Text(s.org_name.clone()),
            Entry::Text(s.state.label(ctx).to_owned()),
            Entry::Text(s.submitted_on.clone()),
        ];
        for f in &columns {
            let value = with_answers.then(|| s.answers.get(&f.name)).flatten();
            row.push(match (f.kind, value) {
                (Kind::Integer | Kind::Number, Some(v)) if v.is_number() => {
                    Entry::Number(v.as_f64().unwrap_or_default())
                }
                _ => Entry::Text(fields::shown_value(f, value.filter(|v| !v.is_null()), en)),
            });
        }
        rows.push(row);
    }
    Ok((t.title, headers, rows))
}

/// A file name from the task's title: ASCII letters, digits and dashes
/// (`Počet žáků` → `Pocet-zaku`), which every browser keeps.
fn file_name(title: &str, extension: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let stem: String = title
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem: String = stem.chars().take(60).collect();
    let stem = stem.trim_end_matches('-');
    format!(
        "{}.{extension}",
        if stem.is_empty() { "answers" } else { stem }
    )
}

/// The answers as CSV.
pub fn csv(ctx: &Context, task: &str) -> Result<Response> {
    use portico_sdk::csv::{Cell, Writer};
    let (title, headers, rows) = table(ctx, task)?;
    let mut out = Writer::new();
    out.row(headers)?;
    for row in rows {
        out.row(row.into_iter().map(|e| match e {
            Entry::Text(t) => Cell::text(t),
            Entry::Number(n) => Cell::from(n),
        }))?;
    }
    out.into_response(&file_name(&title, "csv"))
}

/// The answers as an XLSX workbook of one sheet, its header row bold and
/// frozen.
pub fn xlsx(ctx: &Context, task: &str) -> Result<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let (title, headers, rows) = table(ctx, task)?;
    let failed = |e: rust_xlsxwriter::XlsxError| Error::internal(format!("cannot write XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .set_name(ctx.tr("Answers", "Odpovědi"))
        .map_err(failed)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(failed)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, e) in row.iter().enumerate() {
            match e {
                Entry::Text(t) if t.is_empty() => {}
                Entry::Text(t) => {
                    sheet.write_string(r, c as u16, t).map_err(failed)?;
                }
                Entry::Number(n) => {
                    sheet.write_number(r, c as u16, *n).map_err(failed)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    sheet.autofit();
    let bytes = book.save_to_buffer().map_err(failed)?;
    let name = file_name(&title, "xlsx");
    Ok(Response::new(200)
        .header(
            "content-type",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .body(bytes))
}
