//! SCIM filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2), parsed
//! and evaluated over the JSON form of a resource. Attribute names match
//! without regard to case; string values too, except for the attributes a
//! schema marks `caseExact`.

use serde_json::Value;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    /// `a or b`
    Or(Box<Filter>, Box<Filter>),
    /// `a and b`
    And(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// `attr pr`
    Present(AttrPath),
    /// `attr op value`
    Compare(AttrPath, Op, Value),
    /// `attr[filter]`: some value of a multi-valued attribute matches.
    ValuePath(AttrPath, Box<Filter>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An attribute, with an optional sub-attribute; names as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath {
    /// The schema URN it was written with, if any.
    pub(crate) urn: Option<String>,
    pub(crate) attr: String,
    pub(crate) sub: Option<String>,
}

/// A PATCH path: an attribute, optionally narrowed by a value filter, then
/// optionally a sub-attribute of the values it selects.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchPath {
    pub(crate) attr: AttrPath,
    pub(crate) filter: Option<Filter>,
    /// The sub-attribute after a filter: `emails[type eq "work"].value`.
    pub(crate) sub_after_filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            '"' => {
                let start = i;
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("a string is not closed with `\"`".into()),
                        Some('\\') => i += 2,
                        Some('"') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                let literal: String = chars[start..i].iter().collect();
                let s: String = serde_json::from_str(&literal)
                    .map_err(|_| format!("{literal} is not a valid string"))?;
                out.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"()[]\"".contains(chars[i]) {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    (s == "$ref")
        || (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Parses `attr`, `attr.sub`, `urn:…:attr` or `urn:…:attr.sub`.
pub(crate) fn parse_attr_path(word: &str) -> Result<AttrPath, String> {
    // Compared as bytes: the fourth byte of a word may fall inside a letter.
    let (urn, rest) = if word.len() > 4 && word.as_bytes()[..4].eq_ignore_ascii_case(b"urn:") {
        let at = word
            .rfind(':')
            .ok_or_else(|| format!("`{word}` is not an attribute"))?;
        (Some(word[..at].to_owned()), &word[at + 1..])
    } else {
        (None, word)
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    if !is_name(attr) || sub.is_some_and(|s| !is_name(s)) {
        return Err(format!("`{word}` is not an attribute"));
    }
    Ok(AttrPath {
        urn,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// How deep brackets (`(…)`, `not (…)`, `attr[…]`) may nest: deeper than
/// any IDM writes, and shallow enough that parsing, matching and dropping
/// a filter recurse well within a worker thread's stack. Without a bound,
/// the 4096 bytes a filter may have nest 2000 deep and overflow it, which
/// ends the whole process.
const MAX_NESTING: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// How many brackets are open where the parser is.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// Opens a bracket, unless that nests too deep.
    fn open(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!(
                "the filter nests brackets more than {MAX_NESTING} levels deep"
            ));
        }
        Ok(())
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn group(&mut self) -> Result<Filter, String> {
        if self.next() != Some(Token::Open) {
            return Err("`(` expected".into());
        }
        self.open()?;
        let inner = self.or()?;
        if self.next() != Some(Token::Close) {
            return Err("`)` expected".into());
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.peek() == Some(&Token::Open) {
            return self.group();
        }
        let word = match self.next() {
            Some(Token::Word(w)) => w,
            Some(t) => return Err(format!("an attribute expected, not {t:?}")),
            None => return Err("the filter ends too early".into()),
        };
        let path = parse_attr_path(&word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.at += 1;
            self.open()?;
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err("`]` expected".into());
            }
            self.depth -= 1;
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let op_name = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(format!("an operator expected after `{word}`")),
        };
        let op = match op_name.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(format!("`{other}` is not an operator")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => serde_json::from_str::<serde_json::Number>(&w)
                    .map(Value::Number)
                    .map_err(|_| format!("`{w}` is not a value: quote strings"))?,
            },
            _ => return Err(format!("a value expected after `{word} {op_name}`")),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a filter.
pub(crate) fn parse(input: &str) -> Result<Filter, String> {
    if input.len() > 4096 {
        return Err("the filter is longer than 4096 bytes".into());
    }
    let mut p = Parser {
        tokens: tokenize(input)?,
        at: 0,
        depth: 0,
    };
    let f = p.or()?;
    if let Some(t) = p.peek() {
        return Err(format!("unexpected {t:?} after the filter"));
    }
    Ok(f)
}

/// Parses a PATCH path.
pub(crate) fn parse_patch_path(input: &str) -> Result<PatchPath, String> {
    let input = input.trim();
    let Some(open) = input.find('[') else {
        return Ok(PatchPath {
            attr: parse_attr_path(input)?,
            filter: None,
            sub_after_filter: None,
        });
    };
    let close = input
        .rfind(']')
        .filter(|&close| close > open)
        .ok_or_else(|| format!("`{input}`: `]` expected after `[`"))?;
    let attr = parse_attr_path(&input[..open])?;
    if attr.sub.is_some() {
        return Err(format!(
            "`{input}`: a filter applies to an attribute, not a sub-attribute"
        ));
    }
    let filter = parse(&input[open + 1..close])?;
    let tail = &input[close + 1..];
    let sub_after_filter = match tail.strip_prefix('.') {
        Some(s) if is_name(s) => Some(s.to_owned()),
        None if tail.is_empty() => None,
        _ => {
            return Err(format!(
                "`{input}`: `{tail}` after the filter is not a sub-attribute"
            ));
        }
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub_after_filter,
    })
}

/// A member of a JSON object by name, ignoring case.
pub(crate) fn get_ci<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The values an attribute path reaches in a resource, arrays flattened.
/// A multi-valued complex attribute named without a sub-attribute stands
/// for its values' `value`.
pub(crate) fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(top) = get_ci(resource, &path.attr) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match top {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    };
    let sub = path
        .sub
        .as_deref()
        .or_else(|| top.is_array().then_some("value"));
    match sub {
        Some(sub) => items
            .into_iter()
            .filter_map(|v| {
                if v.is_object() {
                    get_ci(v, sub)
                } else {
                    Some(v)
                }
            })
            .filter(|v| !v.is_null())
            .collect(),
        None => items,
    }
}

fn text_cmp(a: &str, b: &str, exact: bool) -> std::cmp::Ordering {
    if exact {
        a.cmp(b)
    } else {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

fn compare(actual: &Value, op: Op, expected: &Value, exact: bool) -> bool {
    use std::cmp::Ordering;
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => {
            let (a2, b2) = if exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            let ord = text_cmp(a, b, exact);
            match op {
                Op::Eq => ord == Ordering::Equal,
                Op::Ne => ord != Ordering::Equal,
                Op::Co => a2.contains(&b2),
                Op::Sw => a2.starts_with(&b2),
                Op::Ew => a2.ends_with(&b2),
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            _ => false,
        },
        (Value::Number(a), Value::Number(b)) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            match op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                _ => false,
            }
        }
        _ => op == Op::Ne,
    }
}

impl Filter {
    /// Whether `resource` matches; `exact` tells whether an attribute's
    /// strings compare with case.
    pub(crate) fn matches(&self, resource: &Value, exact: &dyn Fn(&AttrPath) -> bool) -> bool {
        match self {
            Filter::Or(a, b) => a.matches(resource, exact) || b.matches(resource, exact),
            Filter::And(a, b) => a.matches(resource, exact) && b.matches(resource, exact),
            Filter::Not(a) => !a.matches(resource, exact),
            Filter::Present(p) => values(resource, p).iter().any(|v| match v {
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !o.is_empty(),
                _ => true,
            }),
            Filter::Compare(p, op, expected) => {
                let found = values(resource, p);
                if expected.is_null() {
                    return match op {
                        Op::Eq => found.is_empty(),
                        Op::Ne => !found.is_empty(),
                        _ => false,
                    };
                }
                if *op == Op::Ne {
                    return !found.iter().any(|v| compare(v, Op::Eq, expected, exact(p)));
                }
                found.iter().any(|v| compare(v, *op, expected, exact(p)))
            }
            Filter::ValuePath(p, inner) => match get_ci(resource, &p.attr) {
                Some(Value::Array(items)) => items.iter().any(|item| {
                    inner.matches(item, &|sub: &AttrPath| {
                        exact(&AttrPath {
                            urn: None,
                            attr: p.attr.clone(),
                            sub: Some(sub.attr.clone()),
                        })
                    })
                }),
                Some(v @ Value::Object(_)) => inner.matches(v, exact),
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exact(p: &AttrPath) -> bool {
        p.attr == "id"
    }

    fn test(filter: &str, doc: &Value) -> bool {
        parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(doc, &exact)
    }

    #[test]
    fn filters_follow_the_rfc_examples() {
        let user = json!({
            "id": "A1", "userName": "Bjensen", "active": true,
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bj@example.com", "type": "work"},
                       {"value": "babs@jensen.org", "type": "home"}],
            "meta": {"lastModified": "2011-05-13T04:42:34Z"}
        });
        assert!(test(r#"userName eq "bjensen""#, &user));
        assert!(test(r#"USERNAME Eq "BJENSEN""#, &user));
        assert!(!test(r#"id eq "a1""#, &user), "id compares with case");
        assert!(test(r#"name.familyName co "ens""#, &user));
        assert!(test(r#"userName sw "bj""#, &user));
        assert!(test(r#"emails ew "jensen.org""#, &user));
        assert!(test(
            r#"emails[type eq "work" and value co "@example.com"]"#,
            &user
        ));
        assert!(!test(
            r#"emails[type eq "work" and value co "jensen.org"]"#,
            &user
        ));
        assert!(test(r#"title pr or userName pr"#, &user));
        assert!(!test(r#"title pr"#, &user));
        assert!(test(
            r#"meta.lastModified gt "2011-05-13T04:42:34Z" or active eq true"#,
            &user
        ));
        assert!(test(
            r#"not (userName eq "x") and (active eq true or active eq false)"#,
            &user
        ));
        assert!(test(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Barbara""#,
            &user
        ));
        assert!(test(r#"userName ne "someone""#, &user));
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for (f, says) in [
            (r#"userName eq"#, "value expected"),
            (r#"userName xx "a""#, "not an operator"),
            (r#"userName eq "a"#, "not closed"),
            (r#"(userName eq "a""#, "`)` expected"),
            (r#"userName eq bjensen"#, "quote strings"),
            (r#"userName eq "a" extra"#, "unexpected"),
        ] {
            let e = parse(f).expect_err(f);
            assert!(e.contains(says), "{f}: {e}");
        }
    }

    #[test]
    fn patch_paths_parse() {
        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr.attr, "emails");
        assert_eq!(p.sub_after_filter.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_patch_path("name.givenName").unwrap();
        assert_eq!(p.attr.sub.as_deref(), Some("givenName"));
        let p = parse_patch_path("urn:ietf:params:scim:schemas:core:2.0:User:userName").unwrap();
        assert_eq!(p.attr.attr, "userName");
        assert!(parse_patch_path("emails[type eq \"work\"").is_err());
        assert!(parse_patch_path("9lives").is_err());
        assert!(parse_patch_path("emails]type eq \"work\"[").is_err());
    }
}
