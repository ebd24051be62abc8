//! One TypeScript declaration as `ts-rs` writes it (`type X = { a?: T, b: U, };` on one line), read into
//! its fields so that aliases can be added, and written back one field per line with its JSDoc.

/// A declared type: an object's fields, or any other type expression (a union of names, say).
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    /// TypeScript name.
    pub name: String,
    /// JSDoc lines of the type.
    pub doc: Vec<String>,
    /// Fields of an object type; empty for another expression.
    pub fields: Vec<Field>,
    /// The expression when it is not an object type.
    pub other: Option<String>,
}

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

    /// Writes each accepted key that is not a field beside the field it stands for (its camelCase spelling,
    /// or the key `other` names), with the field's type; a field with aliases becomes optional, since any of
    /// its spellings will do.
    pub fn add_aliases(
        &mut self,
        accepted: &[&str],
        other: &[(&str, &str, &str)],
    ) -> Result<(), String> {
        let listed = other.iter().filter(|(ty, _, _)| *ty == self.name);
        if let Some((_, alias, _)) = listed.clone().find(|(_, alias, _)| !accepted.contains(alias))
        {
            let name = &self.name;
            return Err(format!(
                "OTHER_ALIASES lists \"{alias}\" of {name}, which {name} does not accept"
            ));
        }
        let mut placed: Vec<(usize, &str)> = Vec::new();
        for alias in accepted.iter().filter(|a| !self.fields.iter().any(|f| bare(&f.key) == **a)) {
            let by_name = self.fields.iter().position(|f| same_but_case(bare(&f.key), alias));
            let by_table = || {
                let (_, _, key) = listed.clone().find(|(_, a, _)| a == alias)?;
                self.fields.iter().position(|f| bare(&f.key) == *key)
            };
            let Some(at) = by_name.or_else(by_table) else {
                let name = &self.name;
                return Err(format!(
                    "{name} accepts the alias \"{alias}\": add it to OTHER_ALIASES with the key it stands for"
                ));
            };
            placed.push((at, alias));
        }
        let fields = std::mem::take(&mut self.fields);
        for (i, mut f) in fields.into_iter().enumerate() {
            let aliases: Vec<&str> =
                placed.iter().filter(|(at, _)| *at == i).map(|(_, a)| *a).collect();
            f.optional |= !aliases.is_empty();
            let ty = f.ty.clone();
            self.fields.push(f);
            let alias_field = |a: &str| Field {
                doc: Vec::new(),
                key: a.to_owned(),
                optional: true,
                ty: ty.clone(),
            };
            self.fields.extend(aliases.into_iter().map(alias_field));
        }
        Ok(())
    }

    /// The declaration, exported: an `interface` for an object type, else a `type`.
    pub fn render(&self) -> String {
        let mut out = jsdoc(&self.doc, "");
        match &self.other {
            Some(expr) => out.push_str(&format!("export type {} = {expr};\n", self.name)),
            None => {
                out.push_str(&format!("export interface {} {{\n", self.name));
                for f in &self.fields {
                    out.push_str(&jsdoc(&f.doc, "  "));
                    let q = if f.optional { "?" } else { "" };
                    out.push_str(&format!("  {}{q}: {};\n", f.key, f.ty));
                }
                out.push_str("}\n");
            }
        }
        out
    }
}

/// A key without the quotes `ts-rs` puts around some.
fn bare(key: &str) -> &str {
    key.trim_matches('"')
}

/// Whether one key is the other's camelCase spelling.
fn same_but_case(a: &str, b: &str) -> bool {
    camel_case(a) == b || camel_case(b) == a
}

/// `snake_case` as `snakeCase`.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
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
    let mut doc = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/**") {
            let end = after.find("*/").expect("a JSDoc comment ends");
            doc = doc_lines(&after[..end]);
            rest = after[end + 2..].trim_start();
            continue;
        }
        let end = top_level_comma(rest).unwrap_or(rest.len());
        out.push(field(rest[..end].trim(), std::mem::take(&mut doc)));
        rest = rest[(end + 1).min(rest.len())..].trim_start();
    }
    out
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
