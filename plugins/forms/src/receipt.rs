//! A receipt as a PDF: a title, lines of label and value, sections with a
//! heading each, on as many A4 pages as it takes.
//!
//! Written with `pdf-writer` in Helvetica, one of the fonts every PDF
//! reader has, so that nothing is embedded. The text is encoded one byte
//! a character: ASCII as it is, every other character given a code of its
//! own from 128 up, named by its glyph name in the font's encoding (so
//! that Czech letters show) and mapped back to Unicode (`ToUnicode`), so
//! that what is copied or read out of the receipt is exactly what was
//! written, whatever the language.

use pdf_writer::types::{SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// What a receipt says.
#[derive(Debug, Clone, Default)]
pub struct Receipt {
    /// The document's title, e.g. "Receipt of submission F-2026-482731".
    pub title: String,
    /// Lines under the title: (label, value).
    pub head: Vec<(String, String)>,
    /// Sections: a heading and its lines.
    pub sections: Vec<(String, Vec<(String, String)>)>,
    /// A closing line in small type.
    pub footer: String,
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
/// Characters on a line of 10-point Helvetica across the page, counted
/// wide (an average character is about half the size).
const LINE_CHARS: usize = 88;
/// Where a value starts, right of its label.
const VALUE_X: f32 = MARGIN + 170.0;
const VALUE_CHARS: usize = 58;

/// The codes of one document: ASCII as it is, other characters from 128.
struct Encoding {
    extra: Vec<char>,
}

impl Encoding {
    fn of(text: impl Iterator<Item = char>) -> Encoding {
        let mut extra = Vec::new();
        for c in text {
            let c = plain(c);
            if !(' '..='~').contains(&c) && !extra.contains(&c) && extra.len() < 128 {
                extra.push(c);
            }
        }
        Encoding { extra }
    }

    fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .map(plain)
            .map(|c| match c {
                ' '..='~' => c as u8,
                _ => self
                    .extra
                    .iter()
                    .position(|x| *x == c)
                    .map_or(b'?', |i| 128 + i as u8),
            })
            .collect()
    }
}

/// A space for every kind of space; a line's end is never in a line.
fn plain(c: char) -> char {
    if c.is_whitespace() { ' ' } else { c }
}

/// A character's glyph name, as the Adobe Glyph List gives it; `uniXXXX`
/// for one the list does not name.
fn glyph_name(c: char) -> String {
    let name = match c {
        'á' => "aacute",
        'Á' => "Aacute",
        'ä' => "adieresis",
        'Ä' => "Adieresis",
        'č' => "ccaron",
        'Č' => "Ccaron",
        'ć' => "cacute",
        'Ć' => "Cacute",
        'ď' => "dcaron",
        'Ď' => "Dcaron",
        'é' => "eacute",
        'É' => "Eacute",
        'ě' => "ecaron",
        'Ě' => "Ecaron",
        'ë' => "edieresis",
        'ę' => "eogonek",
        'í' => "iacute",
        'Í' => "Iacute",
        'ĺ' => "lacute",
        'Ĺ' => "Lacute",
        'ľ' => "lcaron",
        'Ľ' => "Lcaron",
        'ł' => "lslash",
        'Ł' => "Lslash",
        'ň' => "ncaron",
        'Ň' => "Ncaron",
        'ń' => "nacute",
        'ó' => "oacute",
        'Ó' => "Oacute",
        'ô' => "ocircumflex",
        'Ô' => "Ocircumflex",
        'ö' => "odieresis",
        'Ö' => "Odieresis",
        'ő' => "ohungarumlaut",
        'ŕ' => "racute",
        'Ŕ' => "Racute",
        'ř' => "rcaron",
        'Ř' => "Rcaron",
        'š' => "scaron",
        'Š' => "Scaron",
        'ś' => "sacute",
        'ť' => "tcaron",
        'Ť' => "Tcaron",
        'ú' => "uacute",
        'Ú' => "Uacute",
        'ů' => "uring",
        'Ů' => "Uring",
        'ü' => "udieresis",
        'Ü' => "Udieresis",
        'ű' => "uhungarumlaut",
        'ý' => "yacute",
        'Ý' => "Yacute",
        'ž' => "zcaron",
        'Ž' => "Zcaron",
        'ź' => "zacute",
        'ż' => "zdotaccent",
        'ą' => "aogonek",
        'ß' => "germandbls",
        '„' => "quotedblbase",
        '“' => "quotedblleft",
        '”' => "quotedblright",
        '‚' => "quotesinglbase",
        '‘' => "quoteleft",
        '’' => "quoteright",
        '–' => "endash",
        '—' => "emdash",
        '…' => "ellipsis",
        '•' => "bullet",
        '€' => "Euro",
        '°' => "degree",
        '×' => "multiply",
        '§' => "section",
        '²' => "twosuperior",
        _ => return format!("uni{:04X}", c as u32),
    };
    name.to_owned()
}

/// Lines of at most `width` characters, broken between words (a word
/// longer than a line is broken inside).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
            }
            let word: String = word.into_iter().collect();
            let len = line.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// Pages of text, one content stream each, top to bottom.
struct Pages<'a> {
    encoding: &'a Encoding,
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl<'a> Pages<'a> {
    fn new(encoding: &'a Encoding) -> Self {
        Pages {
            encoding,
            done: Vec::new(),
            page: Content::new(),
            y: HEIGHT - MARGIN,
        }
    }

    /// Room for `lines` of `leading` points, on this page or a new one.
    fn room(&mut self, lines: usize, leading: f32) {
        if self.y - lines as f32 * leading < MARGIN {
            self.done
                .push(std::mem::replace(&mut self.page, Content::new()));
            self.y = HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, x: f32, font: &[u8], size: f32, text: &str) {
        let bytes = self.encoding.encode(text);
        self.page
            .begin_text()
            .set_font(Name(font), size)
            .next_line(x, self.y)
            .show(Str(&bytes))
            .end_text();
    }

    fn line(&mut self, font: &[u8], size: f32, text: &str, gap: f32) {
        for l in wrap(text, LINE_CHARS) {
            self.room(1, size + 4.0);
            self.y -= size + 4.0;
            self.text(MARGIN, font, size, &l);
        }
        self.y -= gap;
    }

    fn pair(&mut self, label: &str, value: &str) {
        let labels = wrap(label, 30);
        let values = wrap(value, VALUE_CHARS);
        let lines = labels.len().max(values.len());
        self.room(lines.min(20), 14.0);
        for i in 0..lines {
            self.room(1, 14.0);
            self.y -= 14.0;
            if let Some(l) = labels.get(i) {
                self.text(MARGIN, b"F2", 10.0, l);
            }
            if let Some(v) = values.get(i) {
                self.text(VALUE_X, b"F1", 10.0, v);
            }
        }
        self.y -= 4.0;
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

impl Receipt {
    /// The receipt as a PDF document.
    pub fn pdf(&self) -> Vec<u8> {
        let all = std::iter::once(self.title.as_str())
            .chain(self.head.iter().flat_map(|(l, v)| [l.as_str(), v.as_str()]))
            .chain(self.sections.iter().flat_map(|(h, lines)| {
                std::iter::once(h.as_str())
                    .chain(lines.iter().flat_map(|(l, v)| [l.as_str(), v.as_str()]))
            }))
            .chain(std::iter::once(self.footer.as_str()));
        let encoding = Encoding::of(all.flat_map(str::chars));

        let mut pages = Pages::new(&encoding);
        pages.line(b"F2", 16.0, &self.title, 10.0);
        for (l, v) in &self.head {
            pages.pair(l, v);
        }
        for (heading, lines) in &self.sections {
            pages.y -= 8.0;
            pages.room(3, 16.0);
            pages.line(b"F2", 12.0, heading, 4.0);
            for (l, v) in lines {
                pages.pair(l, v);
            }
        }
        if !self.footer.is_empty() {
            pages.y -= 12.0;
            pages.line(b"F1", 8.0, &self.footer, 0.0);
        }
        let contents = pages.finish();

        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let regular = Ref::new(4);
        let bold = Ref::new(5);
        let cmap = Ref::new(6);
        let first_page = 7;
        let page_ids: Vec<Ref> = (0..contents.len())
            .map(|i| Ref::new(first_page + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("Portico"));
        let names: Vec<String> = encoding.extra.iter().map(|c| glyph_name(*c)).collect();
        for (id, base) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            let mut font = pdf.type1_font(id);
            font.base_font(Name(base.as_bytes()));
            let mut custom = font.encoding_custom();
            custom.base_encoding(Name(b"WinAnsiEncoding"));
            if !names.is_empty() {
                custom
                    .differences()
                    .consecutive(128, names.iter().map(|n| Name(n.as_bytes())));
            }
            custom.finish();
            font.to_unicode(cmap);
        }
        let mut map = UnicodeCmap::<u8>::new(
            Name(b"Portico-Receipt"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for c in ' '..='~' {
            map.pair(c as u8, c);
        }
        for (i, c) in encoding.extra.iter().enumerate() {
            map.pair(128 + i as u8, *c);
        }
        pdf.cmap(cmap, &map.finish());
        for (i, content) in contents.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_and_lines_wrap_within_the_width() {
        let lines = wrap("Žádost o vydání parkovací karty pro rezidenty", 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "Žádost o vydání parkovací karty pro rezidenty"
        );
        assert_eq!(wrap(&"x".repeat(45), 20).len(), 3);
    }

    #[test]
    fn czech_letters_get_codes_of_their_own_and_the_rest_stays_ascii() {
        let e = Encoding::of("Příliš žluťoučký kůň".chars());
        let bytes = e.encode("kůň a Ř?");
        assert_eq!(bytes[0], b'k');
        assert!(bytes[1] >= 128 && bytes[2] >= 128);
        assert_eq!(glyph_name('ů'), "uring");
        assert_eq!(glyph_name('ш'), "uni0448");
        // A character the document did not list is a question mark.
        assert_eq!(*bytes.last().unwrap_or(&0), b'?');
    }

    #[test]
    fn a_long_receipt_runs_onto_more_pages() {
        let receipt = Receipt {
            title: "Potvrzení".into(),
            sections: vec![(
                "Odpovědi".into(),
                (0..200)
                    .map(|i| (format!("Pole {i}"), "hodnota".to_owned()))
                    .collect(),
            )],
            ..Receipt::default()
        };
        let pdf = receipt.pdf();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        // Two hundred lines of about 18 points: four pages or more.
        assert!(text.matches("/MediaBox").count() >= 4, "pages");
    }
}
