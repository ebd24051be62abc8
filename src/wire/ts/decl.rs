//! One TypeScript declaration as `ts-rs` writes it (`type X = { a?: T, b: U, };` on one line), read into
//! its fields so that aliases can be added, and written back one field per line with its JSDoc.

use heck::ToLowerCamelCase;

/// A declared type: an object's fields, or any other type expression (a union of names, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    /// TypeScript name.
    pub name: String,
    /// JSDoc lines of the type.
    pub doc: Vec<String>,
    /// Fields of an object type; empty for another expression.
    pub fields: Vec<Field>,
    /// The interface an object type extends (its fields are then not repeated).
    pub extends: Option<String>,
    /// The expression when it is not an object type.
    pub other: Option<String>,
}

/// An alias that is not the camelCase spelling of its key: (type, alias, key).
pub type Alias = (&'static str, &'static str, &'static str);

/// One field of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// JSDoc lines.
    pub doc: Vec<String>,
    /// The key as written (quoted when `ts-rs` quotes it).
    pub key: String,
    /// Written with `?`.
    pub optional: bool,
    /// Its type expression.
    pub ty: String,
}

impl Declaration {
    /// A union or other expression with a name.
    pub fn union(name: &str, doc: Option<String>, expr: String) -> Self {
        Declaration {
            name: name.to_owned(),
            doc: doc_lines(doc.as_deref().unwrap_or("")),
            fields: Vec::new(),
            extends: None,
            other: Some(expr),
        }
    }

    /// Reads `ts-rs`'s `decl()` and `docs()`.
    pub fn parse(decl: &str, docs: Option<String>) -> Self {
        let rest = decl.strip_prefix("type ").expect("a ts-rs declaration starts with `type `");
        let (name, expr) = rest.split_once(" = ").expect("a ts-rs declaration has ` = `");
        let expr = expr.trim().trim_end_matches(';').trim();
        let mut d = Declaration::union(name, docs, expr.to_owned());
        if let Some(body) = expr.strip_prefix('{').and_then(|b| b.strip_suffix('}')) {
            d.fields = fields(body);
            d.other = None;
        }
        d
    }

    /// Declares `self` as extending `base`: drops the fields `base` has (ts-rs inlines a flattened struct's
    /// fields); an error when `self` lacks one of them, since it would not be an extension.
    pub fn extend(&mut self, base: &Declaration) -> Result<(), String> {
        let missing = base.fields.iter().find(|b| !self.fields.iter().any(|f| f.key == b.key));
        if let Some(b) = missing {
            return Err(format!(
                "{} lacks {}.{}, so it does not extend it",
                self.name, base.name, b.key
            ));
        }
        self.fields.retain(|f| !base.fields.iter().any(|b| b.key == f.key));
        self.extends = Some(base.name.clone());
        Ok(())
    }

    /// Writes each accepted key that is not a field beside the field it stands for (its camelCase spelling,
    /// or the key `other` names), with the field's type; a field with aliases becomes optional, since any of
    /// its spellings will do.
    pub fn add_aliases(&mut self, accepted: &[&str], other: &[Alias]) -> Result<(), String> {
        let listed: Vec<&Alias> = other.iter().filter(|(ty, _, _)| *ty == self.name).collect();
        self.all_accepted(&listed, accepted)?;
        let unknown = accepted.iter().filter(|a| self.position(a).is_none());
        let placed = unknown.map(|a| self.place(a, &listed).map(|at| (at, *a)));
        self.insert_aliases(&placed.collect::<Result<Vec<_>, _>>()?);
        Ok(())
    }

    /// An error when the table lists an alias the type does not accept.
    fn all_accepted(&self, listed: &[&Alias], accepted: &[&str]) -> Result<(), String> {
        match listed.iter().find(|(_, alias, _)| !accepted.contains(alias)) {
            Some((_, alias, _)) => Err(format!(
                "OTHER_ALIASES lists \"{alias}\" of {0}, which {0} does not accept",
                self.name
            )),
            None => Ok(()),
        }
    }

    /// The field a key names.
    fn position(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| bare(&f.key) == key)
    }

    /// The field an alias stands for: the same key in the other case, or the one the table names.
    fn place(&self, alias: &str, listed: &[&Alias]) -> Result<usize, String> {
        let by_name = self.fields.iter().position(|f| same_but_case(bare(&f.key), alias));
        let by_table = || {
            listed.iter().find(|(_, a, _)| *a == alias).and_then(|(_, _, key)| self.position(key))
        };
        by_name.or_else(by_table).ok_or_else(|| {
            let name = &self.name;
            format!("{name} accepts the alias \"{alias}\": add it to OTHER_ALIASES with the key it stands for")
        })
    }

    /// Writes each (field index, alias) after its field, which becomes optional.
    fn insert_aliases(&mut self, placed: &[(usize, &str)]) {
        for (i, mut f) in std::mem::take(&mut self.fields).into_iter().enumerate() {
            let aliases = placed.iter().filter(|(at, _)| *at == i).map(|(_, a)| *a);
            let alias_fields: Vec<Field> = aliases.map(|a| f.alias(a)).collect();
            f.optional |= !alias_fields.is_empty();
            self.fields.push(f);
            self.fields.extend(alias_fields);
        }
    }

    /// The declaration, exported: an `interface` for an object type, else a `type`.
    pub fn render(&self) -> String {
        let body = match &self.other {
            Some(expr) => format!("export type {} = {expr};\n", self.name),
            None => {
                let fields: String = self.fields.iter().map(Field::render).collect();
                let extends =
                    self.extends.as_ref().map_or(String::new(), |e| format!(" extends {e}"));
                format!("export interface {}{extends} {{\n{fields}}}\n", self.name)
            }
        };
        jsdoc(&self.doc, "") + &body
    }
}

impl Field {
    /// One line (after its JSDoc) of an interface.
    fn render(&self) -> String {
        let q = if self.optional { "?" } else { "" };
        format!("{}  {}{q}: {};\n", jsdoc(&self.doc, "  "), self.key, self.ty)
    }

    /// The same field under another key, optional and undocumented.
    fn alias(&self, key: &str) -> Field {
        Field { doc: Vec::new(), key: key.to_owned(), optional: true, ty: self.ty.clone() }
    }
}

/// A key without the quotes `ts-rs` puts around some.
fn bare(key: &str) -> &str {
    key.trim_matches('"')
}

/// Whether one key is the other's camelCase spelling.
fn same_but_case(a: &str, b: &str) -> bool {
    a.to_lower_camel_case() == b || b.to_lower_camel_case() == a
}

/// The lines of a `/** ... */` comment, without its markers.
fn doc_lines(doc: &str) -> Vec<String> {
    let inner = doc.trim().trim_start_matches("/**").trim_end_matches("*/");
    let lines = inner.lines().map(|l| l.trim().trim_start_matches('*').trim());
    // Rustdoc's links, [`X`], as code.
    let unlinked = lines.map(|l| l.replace("[`", "`").replace("`]", "`"));
    unlinked.filter(|l| !l.is_empty()).collect()
}

/// A JSDoc comment at an indentation: on one line when it is one line.
fn jsdoc(lines: &[String], indent: &str) -> String {
    match lines {
        [] => String::new(),
        [one] => format!("{indent}/** {one} */\n"),
        many => {
            let body: String = many.iter().map(|l| format!("{indent} * {l}\n")).collect();
            format!("{indent}/**\n{body}{indent} */\n")
        }
    }
}

/// The fields of an object type's body: split at top-level commas, each with the JSDoc before it.
fn fields(body: &str) -> Vec<Field> {
    let mut out = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (doc, text) = leading_doc(rest);
        let end = top_level_comma(text).unwrap_or(text.len());
        out.push(field(text[..end].trim(), doc));
        rest = text[(end + 1).min(text.len())..].trim_start();
    }
    out
}

/// The JSDoc comment `text` starts with (its lines), and what follows it.
fn leading_doc(text: &str) -> (Vec<String>, &str) {
    match text.strip_prefix("/**").and_then(|t| t.split_once("*/")) {
        Some((doc, after)) => (doc_lines(doc), after.trim_start()),
        None => (Vec::new(), text),
    }
}

/// `key?: type` or `"key": type`.
fn field(text: &str, doc: Vec<String>) -> Field {
    let key_end = match text.strip_prefix('"') {
        Some(quoted) => quoted.find('"').expect("a quoted key ends") + 2,
        None => text.find(['?', ':']).expect("a field has a type"),
    };
    let (key, rest) = text.split_at(key_end);
    let optional = rest.starts_with('?');
    let ty = rest.trim_start_matches('?').trim_start_matches(':').trim();
    Field { doc, key: key.to_owned(), optional, ty: ty.to_owned() }
}

/// Where the first comma outside brackets and strings is.
fn top_level_comma(text: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '{' | '[' | '(' | '<' => depth += 1,
            '}' | ']' | ')' | '>' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}
