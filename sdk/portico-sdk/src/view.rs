//! Pages as typed blocks. The host renders them with the portal's design
//! system, escaped and accessible; a module never writes markup.
//!
//! ```no_run
//! use portico_sdk::{Action, Cell, Field, Form, NoticeLevel, Table, View};
//!
//! let view = View::new("Waste collection")
//!     .notice(NoticeLevel::Info, "Collection moves to Tuesday this week.")
//!     .heading("Routes")
//!     .table(
//!         Table::new("Collection routes")
//!             .column("Street")
//!             .numeric_column("Bins")
//!             .row([Cell::link("Main Street", "/routes/1"), Cell::from("42")])
//!             .empty_text("No routes yet."),
//!     )
//!     .form(
//!         Form::new("/routes", "Add route")
//!             .field(Field::text("street", "Street").required())
//!             .field(Field::number("bins", "Number of bins")),
//!     )
//!     .actions([Action::primary("Export", "/routes/export")]);
//! ```

use crate::wit::portico::plugin0_1_0::types as wit;
// 0.4.0's pages, blocks, forms and fields; the figures within are 0.2.0's.
use crate::wit::portico::plugin0_2_0::types as figures;
use crate::wit::portico::plugin0_4_0::types as views;
// 0.5.0's pages and blocks: 0.4.0's, and lines on a map.
use crate::wit::portico::plugin0_5_0::types as pages;

/// A page: a title and blocks, top to bottom.
#[derive(Debug, Clone)]
pub struct View {
    title: String,
    blocks: Vec<pages::Block>,
}

impl View {
    /// An empty page with a title.
    pub fn new(title: impl Into<String>) -> Self {
        View {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a section heading (level 2).
    pub fn heading(self, text: impl Into<String>) -> Self {
        self.heading_at(2, text)
    }

    /// Adds a heading at `level` (2 = section, 3 = subsection, up to 6).
    pub fn heading_at(mut self, level: u8, text: impl Into<String>) -> Self {
        self.blocks.push(pages::Block::Heading(wit::Heading {
            level: level.clamp(2, 6),
            text: text.into(),
        }));
        self
    }

    /// Adds a paragraph of plain text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(pages::Block::Text(text.into()));
        self
    }

    /// Adds a table.
    pub fn table(mut self, table: Table) -> Self {
        self.blocks.push(pages::Block::Table(table.0));
        self
    }

    /// Adds label–value pairs.
    pub fn key_values<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.blocks.push(pages::Block::KeyValues(
            pairs
                .into_iter()
                .map(|(k, v)| wit::KeyValue {
                    key: k.into(),
                    value: v.into(),
                })
                .collect(),
        ));
        self
    }

    /// Adds a row of buttons and links.
    pub fn actions(mut self, actions: impl IntoIterator<Item = Action>) -> Self {
        self.blocks.push(pages::Block::Actions(
            actions.into_iter().map(|a| a.0).collect(),
        ));
        self
    }

    /// Adds a form.
    pub fn form(mut self, form: Form) -> Self {
        self.blocks.push(pages::Block::Form(form.0));
        self
    }

    /// Adds a notice.
    pub fn notice(mut self, level: NoticeLevel, text: impl Into<String>) -> Self {
        let level = match level {
            NoticeLevel::Info => wit::NoticeLevel::Info,
            NoticeLevel::Success => wit::NoticeLevel::Success,
            NoticeLevel::Warning => wit::NoticeLevel::Warning,
            NoticeLevel::Error => wit::NoticeLevel::Error,
        };
        self.blocks.push(pages::Block::Notice(wit::Notice {
            level,
            text: text.into(),
        }));
        self
    }

    /// Adds key figures side by side, e.g. on a dashboard.
    pub fn stats(mut self, stats: impl IntoIterator<Item = Stat>) -> Self {
        self.blocks.push(pages::Block::Stats(
            stats.into_iter().map(|s| s.0).collect(),
        ));
        self
    }

    /// Adds a chart; the host also shows its numbers as a table.
    pub fn chart(mut self, chart: Chart) -> Self {
        self.blocks.push(pages::Block::Chart(chart.0));
        self
    }

    /// Adds dated entries, e.g. the history of a case.
    pub fn timeline(mut self, entries: impl IntoIterator<Item = TimelineEntry>) -> Self {
        self.blocks.push(pages::Block::Timeline(
            entries.into_iter().map(|e| e.0).collect(),
        ));
        self
    }

    /// Adds places on a map; the host also lists them as text.
    pub fn map(mut self, map: Map) -> Self {
        self.blocks.push(pages::Block::LocationMap(map.0));
        self
    }

    /// Adds lines on a map with their key (e.g. road sections by the order
    /// they are maintained in); the host also lists them as text.
    pub fn line_map(mut self, map: LineMap) -> Self {
        self.blocks.push(pages::Block::LineMap(map.0));
        self
    }

    /// Adds links to the previous and next page of a list.
    pub fn pager(mut self, pager: Pager) -> Self {
        self.blocks.push(pages::Block::Pager(pager.0));
        self
    }
}

/// One key figure, e.g. `Open complaints: 42`.
#[derive(Debug, Clone)]
pub struct Stat(figures::Stat);

impl Stat {
    /// A figure with its label.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Stat(figures::Stat {
            label: label.into(),
            value: value.into(),
            detail: None,
            link: None,
        })
    }

    /// A line under the figure, e.g. `5 overdue`.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Where the details are (a path below `/m/<module>`).
    pub fn link(mut self, href: impl Into<String>) -> Self {
        self.0.link = Some(href.into());
        self
    }
}

/// A bar or line chart of series over categories.
///
/// ```no_run
/// use portico_sdk::Chart;
/// let chart = Chart::bar("Complaints per month", ["Jan", "Feb", "Mar"])
///     .series("Received", [12.0, 9.0, 15.0])
///     .series("Resolved", [10.0, 11.0, 12.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Chart(figures::Chart);

impl Chart {
    fn of<C: Into<String>>(
        kind: figures::ChartKind,
        caption: impl Into<String>,
        categories: impl IntoIterator<Item = C>,
    ) -> Self {
        Chart(figures::Chart {
            caption: caption.into(),
            kind,
            categories: categories.into_iter().map(Into::into).collect(),
            series: Vec::new(),
            unit: None,
        })
    }

    /// Bars side by side per category.
    pub fn bar<C: Into<String>>(
        caption: impl Into<String>,
        categories: impl IntoIterator<Item = C>,
    ) -> Self {
        Self::of(figures::ChartKind::Bar, caption, categories)
    }

    /// A line per series across the categories.
    pub fn line<C: Into<String>>(
        caption: impl Into<String>,
        categories: impl IntoIterator<Item = C>,
    ) -> Self {
        Self::of(figures::ChartKind::Line, caption, categories)
    }

    /// Adds a series: one value per category.
    pub fn series(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = f64>,
    ) -> Self {
        self.0.series.push(figures::Series {
            name: name.into(),
            values: values.into_iter().collect(),
        });
        self
    }

    /// The unit of the values, e.g. `MWh`.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.0.unit = Some(unit.into());
        self
    }
}

/// One dated entry of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry(figures::TimelineEntry);

impl TimelineEntry {
    /// What happened `when` (an RFC 3339 date or date and time).
    pub fn new(when: impl Into<String>, title: impl Into<String>) -> Self {
        TimelineEntry(figures::TimelineEntry {
            when: when.into(),
            title: title.into(),
            text: None,
            link: None,
        })
    }

    /// More about it.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.0.text = Some(text.into());
        self
    }

    /// Where the details are (a path below `/m/<module>`).
    pub fn link(mut self, href: impl Into<String>) -> Self {
        self.0.link = Some(href.into());
        self
    }
}

/// Places on a map (WGS 84 coordinates).
#[derive(Debug, Clone)]
pub struct Map(figures::LocationMap);

impl Map {
    /// An empty map; the caption says what it shows.
    pub fn new(caption: impl Into<String>) -> Self {
        Map(figures::LocationMap {
            caption: caption.into(),
            points: Vec::new(),
        })
    }

    /// Adds a place.
    pub fn point(mut self, latitude: f64, longitude: f64, label: impl Into<String>) -> Self {
        self.0.points.push(place(latitude, longitude, label));
        self
    }

    /// Adds a place that links to its details (a path below `/m/<module>`).
    pub fn linked_point(
        mut self,
        latitude: f64,
        longitude: f64,
        label: impl Into<String>,
        href: impl Into<String>,
    ) -> Self {
        self.0
            .points
            .push(linked_place(latitude, longitude, label, href));
        self
    }
}

/// A place on a map, without a link.
fn place(latitude: f64, longitude: f64, label: impl Into<String>) -> figures::MapPoint {
    figures::MapPoint {
        latitude,
        longitude,
        label: label.into(),
        link: None,
    }
}

/// A place on a map that links to a path below `/m/<module>`.
fn linked_place(
    latitude: f64,
    longitude: f64,
    label: impl Into<String>,
    href: impl Into<String>,
) -> figures::MapPoint {
    figures::MapPoint {
        link: Some(href.into()),
        ..place(latitude, longitude, label)
    }
}

/// Lines and places on a map with a key, e.g. a road network by the order
/// its sections are maintained in. Each line has a style: the index of its
/// entry in the key; the host draws each style in its own colour and dash.
///
/// ```
/// use portico_sdk::LineMap;
/// let map = LineMap::new("Order of maintenance", ["Priority I", "Priority II"])
///     .line([(49.40, 15.55), (49.41, 15.57)], "II/602-01", 0)
///     .linked_line([(49.42, 15.55), (49.42, 15.58)], "III/3523-01", 1, "/sections/2");
/// ```
#[derive(Debug, Clone)]
pub struct LineMap(pages::LineMap);

impl LineMap {
    /// An empty map with its caption and key (at most 8 entries).
    pub fn new<S: Into<String>>(
        caption: impl Into<String>,
        legend: impl IntoIterator<Item = S>,
    ) -> Self {
        LineMap(pages::LineMap {
            caption: caption.into(),
            legend: legend.into_iter().map(Into::into).collect(),
            lines: Vec::new(),
            points: Vec::new(),
        })
    }

    /// Adds a line through `points` (latitude, longitude in degrees, WGS 84)
    /// in the style of key entry `style`.
    pub fn line(
        mut self,
        points: impl IntoIterator<Item = (f64, f64)>,
        label: impl Into<String>,
        style: u32,
    ) -> Self {
        self.0.lines.push(pages::MapLine {
            points: points.into_iter().collect(),
            label: label.into(),
            link: None,
            style,
        });
        self
    }

    /// Adds a line that links to a path below `/m/<module>`.
    pub fn linked_line(
        mut self,
        points: impl IntoIterator<Item = (f64, f64)>,
        label: impl Into<String>,
        style: u32,
        href: impl Into<String>,
    ) -> Self {
        self = self.line(points, label, style);
        if let Some(last) = self.0.lines.last_mut() {
            last.link = Some(href.into());
        }
        self
    }

    /// Adds a place, as on a [`Map`].
    pub fn point(mut self, latitude: f64, longitude: f64, label: impl Into<String>) -> Self {
        self.0.points.push(place(latitude, longitude, label));
        self
    }

    /// Adds a place that links to a path below `/m/<module>`.
    pub fn linked_point(
        mut self,
        latitude: f64,
        longitude: f64,
        label: impl Into<String>,
        href: impl Into<String>,
    ) -> Self {
        self.0
            .points
            .push(linked_place(latitude, longitude, label, href));
        self
    }

    /// Whether it has neither a line nor a place to draw.
    pub fn is_empty(&self) -> bool {
        self.0.lines.is_empty() && self.0.points.is_empty()
    }
}

/// Links to the previous and next page of a long list.
#[derive(Debug, Clone)]
pub struct Pager(figures::Pager);

impl Default for Pager {
    fn default() -> Self {
        Self::new()
    }
}

impl Pager {
    /// A pager with no neighbours yet.
    pub fn new() -> Self {
        Pager(figures::Pager {
            previous: None,
            next: None,
            summary: None,
        })
    }

    /// The previous page (a path below `/m/<module>`).
    pub fn previous(mut self, href: impl Into<String>) -> Self {
        self.0.previous = Some(href.into());
        self
    }

    /// The next page (a path below `/m/<module>`).
    pub fn next(mut self, href: impl Into<String>) -> Self {
        self.0.next = Some(href.into());
        self
    }

    /// Where the reader is, e.g. `Notices 21–40`.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.0.summary = Some(summary.into());
        self
    }
}

impl From<View> for pages::View {
    fn from(v: View) -> Self {
        pages::View {
            title: v.title,
            blocks: v.blocks,
        }
    }
}

/// How severe a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    /// Neutral information.
    Info,
    /// Something went well.
    Success,
    /// Something needs attention.
    Warning,
    /// Something went wrong.
    Error,
}

/// A table cell: text, optionally a link.
#[derive(Debug, Clone)]
pub struct Cell(wit::Cell);

impl Cell {
    /// A cell linking to `href` (a path below `/m/<module>` or an `https:` URL).
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Self {
        Cell(wit::Cell {
            text: text.into(),
            link: Some(href.into()),
        })
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell(wit::Cell {
            text: text.to_owned(),
            link: None,
        })
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell(wit::Cell { text, link: None })
    }
}

/// A table with a caption, columns and rows.
///
/// A column made with [`Table::sortable`] lets the reader sort by it: the
/// host links its heading to the same page with `?sort=<key>&order=asc` (or
/// `desc`), and the module sorts by what [`crate::Page::query`] says.
#[derive(Debug, Clone)]
pub struct Table(figures::Table);

impl Table {
    /// An empty table; the caption says what it shows.
    pub fn new(caption: impl Into<String>) -> Self {
        Table(figures::Table {
            caption: caption.into(),
            columns: Vec::new(),
            rows: Vec::new(),
            empty_text: String::new(),
            sorted_by: None,
        })
    }

    fn push_column(mut self, label: impl Into<String>, numeric: bool, key: Option<&str>) -> Self {
        self.0.columns.push(figures::Column {
            label: label.into(),
            numeric,
            sort_key: key.map(str::to_owned),
        });
        self
    }

    /// Adds a text column.
    pub fn column(self, label: impl Into<String>) -> Self {
        self.push_column(label, false, None)
    }

    /// Adds a column of numbers (aligned right).
    pub fn numeric_column(self, label: impl Into<String>) -> Self {
        self.push_column(label, true, None)
    }

    /// Adds a column the reader can sort by, under `key`.
    pub fn sortable(self, label: impl Into<String>, key: &str, numeric: bool) -> Self {
        self.push_column(label, numeric, Some(key))
    }

    /// Says which column the rows are sorted by.
    pub fn sorted_by(mut self, key: &str, descending: bool) -> Self {
        self.0.sorted_by = Some(figures::TableSort {
            key: key.to_owned(),
            descending,
        });
        self
    }

    /// Adds a row, one cell per column.
    pub fn row<C: Into<Cell>>(mut self, cells: impl IntoIterator<Item = C>) -> Self {
        self.0
            .rows
            .push(cells.into_iter().map(|c| c.into().0).collect());
        self
    }

    /// The text shown instead of an empty table.
    pub fn empty_text(mut self, text: impl Into<String>) -> Self {
        self.0.empty_text = text.into();
        self
    }
}

/// A link styled as a button.
#[derive(Debug, Clone)]
pub struct Action(wit::Action);

impl Action {
    fn styled(label: impl Into<String>, href: impl Into<String>, style: wit::ActionStyle) -> Self {
        Action(wit::Action {
            label: label.into(),
            href: href.into(),
            style,
        })
    }

    /// The main thing to do on the page.
    pub fn primary(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self::styled(label, href, wit::ActionStyle::Primary)
    }

    /// Any other action.
    pub fn secondary(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self::styled(label, href, wit::ActionStyle::Secondary)
    }

    /// Something that deletes or cannot be undone.
    pub fn danger(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self::styled(label, href, wit::ActionStyle::Danger)
    }
}

/// The kind of input a form field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FieldKind {
    Text,
    Textarea,
    Number,
    Date,
    Email,
    Tel,
    Select,
    Checkbox,
    Hidden,
    /// One of the choices, as radio buttons.
    Radio,
    /// Any number of the choices, as boxes to tick.
    Checkboxes,
    /// A file to upload; read it with [`crate::FormPost::file`].
    File,
    /// A place: an address and a position, picked on a map where the
    /// portal has one; read it with [`crate::FormPost::place`].
    Place,
}

/// One input of a form.
#[derive(Debug, Clone)]
pub struct Field(views::FormField);

impl Field {
    /// A field of any kind.
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        let kind = match kind {
            FieldKind::Text => views::FieldKind::Text,
            FieldKind::Textarea => views::FieldKind::Textarea,
            FieldKind::Number => views::FieldKind::Number,
            FieldKind::Date => views::FieldKind::Date,
            FieldKind::Email => views::FieldKind::Email,
            FieldKind::Tel => views::FieldKind::Tel,
            FieldKind::Select => views::FieldKind::Select,
            FieldKind::Checkbox => views::FieldKind::Checkbox,
            FieldKind::Hidden => views::FieldKind::Hidden,
            FieldKind::Radio => views::FieldKind::Radio,
            FieldKind::Checkboxes => views::FieldKind::Checkboxes,
            FieldKind::File => views::FieldKind::File,
            FieldKind::Place => views::FieldKind::Place,
        };
        Field(views::FormField {
            name: name.into(),
            label: label.into(),
            kind,
            required: false,
            value: None,
            selected: Vec::new(),
            help: None,
            choices: Vec::new(),
            error: None,
            read_only: false,
            pattern: None,
            min: None,
            max: None,
            autocomplete: None,
            accept: None,
            position: None,
            shown_when: None,
            required_when: None,
            calculation: None,
        })
    }

    /// One line of text.
    pub fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Text)
    }

    /// Several lines of text.
    pub fn textarea(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Textarea)
    }

    /// A number.
    pub fn number(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Number)
    }

    /// A date.
    pub fn date(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Date)
    }

    /// A file to upload.
    pub fn file(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::File)
    }

    /// A place: an address and a position. The portal lets people type
    /// the address, find it in the address register, or place a pin on a
    /// map, and posts `<name>`, `<name>.lat` and `<name>.lon`; read them
    /// with [`crate::FormPost::place`].
    pub fn place(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Place)
    }

    /// One of `choices` (value, label), from a list.
    pub fn select<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::Select).choices(choices)
    }

    /// One of `choices` (value, label), as radio buttons.
    pub fn radio<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::Radio).choices(choices)
    }

    /// Any number of `choices` (value, label), as boxes to tick; read them
    /// with [`crate::FormPost::all`].
    pub fn checkboxes<V: Into<String>, L: Into<String>>(
        name: impl Into<String>,
        label: impl Into<String>,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        Self::new(name, label, FieldKind::Checkboxes).choices(choices)
    }

    /// The choices of a select, radio or checkboxes field.
    pub fn choices<V: Into<String>, L: Into<String>>(
        mut self,
        choices: impl IntoIterator<Item = (V, L)>,
    ) -> Self {
        self.0.choices = choices
            .into_iter()
            .map(|(v, l)| wit::Choice {
                value: v.into(),
                label: l.into(),
            })
            .collect();
        self
    }

    /// Must be filled in.
    pub fn required(mut self) -> Self {
        self.0.required = true;
        self
    }

    /// The current value.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.0.value = Some(value.into());
        self
    }

    /// The chosen choices: the ticked boxes of a checkboxes field; for a
    /// select or radio field without a value, the first is the one chosen.
    pub fn selected<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.0.selected = values.into_iter().map(Into::into).collect();
        self
    }

    /// A hint shown under the field.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// Why the posted value was refused, shown at the field.
    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.0.error = Some(error.into());
        self
    }

    /// The error of this field among a refused form's `errors` (each the
    /// field's name and what is wrong), when there is one.
    pub fn error_among<N: AsRef<str>>(self, errors: &[(N, String)]) -> Self {
        match errors.iter().find(|(name, _)| name.as_ref() == self.0.name) {
            Some((_, e)) => self.error(e.clone()),
            None => self,
        }
    }

    /// Shown and posted but not changeable, e.g. a value from the user's
    /// verified identity. Check the posted value again: a browser can be
    /// made to change anything.
    pub fn read_only(mut self) -> Self {
        self.0.read_only = true;
        self
    }

    /// A regular expression the whole value must match (a hint to the
    /// browser; the module checks it).
    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.0.pattern = Some(pattern.into());
        self
    }

    /// The least value: a number, or a date (YYYY-MM-DD).
    pub fn min(mut self, min: impl Into<String>) -> Self {
        self.0.min = Some(min.into());
        self
    }

    /// The greatest value: a number, or a date (YYYY-MM-DD).
    pub fn max(mut self, max: impl Into<String>) -> Self {
        self.0.max = Some(max.into());
        self
    }

    /// What the browser may fill in, as HTML's `autocomplete` token, e.g.
    /// `given-name`, `bday`, `street-address`.
    pub fn autocomplete(mut self, token: impl Into<String>) -> Self {
        self.0.autocomplete = Some(token.into());
        self
    }

    /// For a file field: the media types taken, e.g. `image/jpeg,image/png`.
    pub fn accept(mut self, media_types: impl Into<String>) -> Self {
        self.0.accept = Some(media_types.into());
        self
    }

    /// For a place: the position given so far (WGS 84 degrees).
    pub fn position(mut self, latitude: f64, longitude: f64) -> Self {
        self.0.position = Some(views::Position {
            latitude,
            longitude,
        });
        self
    }

    /// Shown only while the form's field `field` has one of `values` (a
    /// choice's value; `true` for a ticked box). The portal shows and
    /// hides it as the person answers; hidden, it is posted empty.
    pub fn shown_when<S: Into<String>>(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.0.shown_when = Some(condition(field, values));
        self
    }

    /// Required while the form's field `field` has one of `values`.
    pub fn required_when<S: Into<String>>(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.0.required_when = Some(condition(field, values));
        self
    }

    /// Shows the result of `operation` over the form's number `fields`
    /// (times `factor`), kept up to date as they change; read-only. The
    /// module works the value out again from what is posted.
    pub fn calculated<S: Into<String>>(
        mut self,
        operation: Operation,
        fields: impl IntoIterator<Item = S>,
        factor: Option<f64>,
    ) -> Self {
        self.0.calculation = Some(views::Calculation {
            operation,
            fields: fields.into_iter().map(Into::into).collect(),
            factor,
        });
        self.0.read_only = true;
        self
    }
}

/// How a calculated field works its value out: the fields added up,
/// multiplied, the first less the others, the first divided by the others.
pub use views::Operation;

fn condition<S: Into<String>>(
    field: impl Into<String>,
    values: impl IntoIterator<Item = S>,
) -> views::Condition {
    views::Condition {
        field: field.into(),
        values: values.into_iter().map(Into::into).collect(),
    }
}

/// A form that posts back to the module's `submit`.
#[derive(Debug, Clone)]
pub struct Form(views::Form);

impl Form {
    /// A form posting to `action` (a page path below `/m/<module>`).
    pub fn new(action: impl Into<String>, submit_label: impl Into<String>) -> Self {
        Form(views::Form {
            action: action.into(),
            submit_label: submit_label.into(),
            fields: Vec::new(),
            buttons: Vec::new(),
        })
    }

    /// Adds a field.
    pub fn field(mut self, field: Field) -> Self {
        self.0.fields.push(field.0);
        self
    }

    /// Adds a further button after the submit button, e.g. "Save draft";
    /// when it is pressed, the form posts `_button` = `name`
    /// ([`crate::FormPost::button`]).
    pub fn button(mut self, name: impl Into<String>, label: impl Into<String>) -> Self {
        self.0.buttons.push(figures::FormButton {
            name: name.into(),
            label: label.into(),
        });
        self
    }
}
