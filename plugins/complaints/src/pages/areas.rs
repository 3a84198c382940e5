//! The areas whose units deal with what is reported inside them: the
//! list, and their import from a GIS as GeoJSON (a file, or pasted).

use portico_sdk::{Action, Cell, Context, Field, Form, FormPost, Outcome, Result, Table, View};

use super::{refused, tr};
use crate::model::{self, english};

/// The areas and the form that replaces them.
pub fn areas_page(ctx: &Context, error: Option<&str>) -> Result<View> {
    let areas = model::areas()?;
    let mut table = Table::new(tr(
        ctx,
        "Areas, in the order they are tried",
        "Oblasti v pořadí, v jakém se zkoušejí",
    ))
    .column(tr(ctx, "Area", "Oblast"))
    .column(tr(ctx, "Unit", "Útvar"))
    .column(tr(ctx, "E-mail", "E-mail"))
    .numeric_column(tr(ctx, "Polygons", "Polygony"))
    .empty_text(tr(
        ctx,
        "No areas: every report goes to its category's unit.",
        "Žádné oblasti: každé hlášení jde útvaru své kategorie.",
    ));
    for a in &areas {
        table = table.row([
            Cell::link(
                a.name.clone(),
                format!("/handle?status=open&area={}", portico_sdk::segment(&a.name)),
            ),
            Cell::from(a.unit.clone()),
            Cell::from(a.email.clone()),
            Cell::from(a.polygons.len().to_string()),
        ]);
    }
    let mut geojson = Field::textarea(
        "geojson",
        tr(ctx, "Or paste it here", "Nebo jej vložte sem"),
    );
    if let Some(e) = error {
        geojson = geojson.error(e);
    }
    let form = Form::new("/areas", tr(ctx, "Replace the areas", "Nahradit oblasti"))
        .field(
            Field::file("file", tr(ctx, "GeoJSON file", "Soubor GeoJSON"))
                .accept(".geojson,.json,application/geo+json,application/json")
                .help(tr(
                    ctx,
                    "A FeatureCollection exported from a GIS (QGIS: Export → Save Features As → GeoJSON, WGS 84): one Polygon or MultiPolygon per area, with the properties `name` and `unit`, and `email` for the unit's reminders. It replaces the areas there are.",
                    "FeatureCollection vyexportovaná z GIS (QGIS: Exportovat → Uložit prvky jako → GeoJSON, WGS 84): jeden Polygon nebo MultiPolygon na oblast, s vlastnostmi `name` a `unit`, případně `email` pro upomínky útvaru. Nahradí dosavadní oblasti.",
                )),
        )
        .field(geojson);
    let view = View::new(tr(ctx, "Areas and their units", "Oblasti a jejich útvary"))
        .actions([Action::secondary(
            tr(ctx, "Back to the inbox", "Zpět do podatelny"),
            "/handle",
        )])
        .text(tr(
            ctx,
            "A report placed inside an area goes to the area's unit; elsewhere to its category's.",
            "Hlášení s místem uvnitř oblasti jde jejímu útvaru; jinde útvaru své kategorie.",
        ))
        .table(table)
        .heading(tr(ctx, "Import areas", "Import oblastí"));
    let errors: Vec<(String, String)> = error
        .map(|e| vec![("geojson".to_owned(), e.to_owned())])
        .unwrap_or_default();
    Ok(refused(
        ctx,
        view,
        &errors,
        (
            "The areas were not imported; nothing changed.",
            "Oblasti nebyly importovány; nic se nezměnilo.",
        ),
    )
    .form(form))
}

/// Replaces the areas with those of the GeoJSON posted.
pub fn submit_areas(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let en = english(ctx);
    let text = match form.file("file").filter(|f| !f.content.is_empty()) {
        Some(f) => String::from_utf8_lossy(&f.content).into_owned(),
        None => form.get("geojson").unwrap_or_default().to_owned(),
    };
    match model::parse_areas(&text, en) {
        Ok(areas) => {
            model::replace_areas(&areas)?;
            portico_sdk::audit::append(
                "complaint.areas",
                "areas",
                &serde_json::json!({ "areas": areas.iter().map(|a| &a.name).collect::<Vec<_>>() }),
            )?;
            Ok(Outcome::redirect_with(
                "/areas",
                if en {
                    format!("Imported {} areas.", areas.len())
                } else {
                    format!("Importováno oblastí: {}.", areas.len())
                },
            ))
        }
        Err(e) => Ok(Outcome::Show(areas_page(ctx, Some(&e))?)),
    }
}
