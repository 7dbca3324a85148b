//! A YAML document as a tree whose every node knows its line, and a serde [`Deserializer`] over
//! that tree.
//!
//! Deserializing a record type straight from `serde_saphyr` would stop at the first mistake in
//! a file, and would lose which record it was in. Reading the file into this tree first lets an
//! import decode every record on its own, so one run reports every bad record of every file,
//! each at the line of the field that is wrong.
//!
//! The tree also keeps the text of plain scalars that YAML reads as something else. A person
//! writes `version: 1.10`, `name: no` or `id: 164.308`; YAML's inference makes those a float,
//! a boolean and a float, and a string field would refuse them or, worse, receive `1.1`.
//! Here a string field receives exactly what was typed, while typed fields (`touches_phi:
//! yes`, `rpo_hours: 24`) still get the inferred value.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{
    Budget, MessageFormatter, NonFiniteFloatPolicy, Options, Spanned, UserMessageFormatter,
};

/// One YAML node and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    /// 1-based.
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    /// A scalar YAML inferred as a boolean or number, with the text it was written as.
    Bool(bool, String),
    Int(i64, String),
    UInt(u64, String),
    Float(f64, String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text as written: what a string field receives.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Str(text)
            | Value::Bool(_, text)
            | Value::Int(_, text)
            | Value::UInt(_, text)
            | Value::Float(_, text) => Some(text),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// What the node is, for messages: "a mapping", "a string".
    pub fn describe(&self) -> &'static str {
        match self.value {
            Value::Null => "empty",
            Value::Bool(..) => "a boolean",
            Value::Int(..) | Value::UInt(..) | Value::Float(..) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error, or a document beyond the parser's limits: why, in a sentence for
/// the person who wrote the file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub reason: String,
    pub line: Option<u64>,
}

/// The most YAML values (records, their fields and list items) one file may hold.
const MAX_NODES: usize = 8_000_000;

/// Parses one YAML document. An empty document (or only comments) is [`Value::Null`].
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    parse_within(text, MAX_NODES)
}

/// [`parse`], keeping at most `max_nodes` values.
fn parse_within(text: &str, max_nodes: usize) -> Result<Node, SyntaxError> {
    let mut options = Options::default();
    // A register of a few hundred thousand records is plausible; the default budget stops
    // at 250,000 nodes, which is about 25,000 records. Depth, alias and anchor limits stay as
    // they are: records are shallow and nobody needs a billion laughs.
    let mut budget = Budget::default();
    budget.max_nodes = max_nodes;
    budget.max_events = 2 * max_nodes;
    options.budget = Some(budget);
    // `.inf` and `.nan` as written reach string fields as text; number fields get the value,
    // which the records' own validation refuses with a message about the field.
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    match serde_saphyr::from_str_with_options::<Spanned<Tree>>(text, options) {
        Ok(tree) => Ok(build(tree, text)),
        Err(error) => Err(SyntaxError {
            reason: match error.without_snippet() {
                serde_saphyr::Error::Budget {
                    breach: BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. },
                    ..
                } => format!(
                    "the file goes on past {max_nodes} YAML values (records, their fields and \
                     list items), the most phiguard reads from one file; is it the right file? \
                     A kind this large is best kept in the database and changed with \
                     `phiguard register` commands rather than imported"
                ),
                _ => format!(
                    "this is not valid YAML: {}",
                    UserMessageFormatter.format_message(&error)
                ),
            },
            line: error.location().map(|l| l.line()).filter(|&line| line > 0),
        }),
    }
}

/// The tree as `serde_saphyr` hands it over: every node wrapped in [`Spanned`] for its
/// location.
enum Tree {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Tree>>),
    Map(Vec<(Spanned<Tree>, Spanned<Tree>)>),
}

impl<'de> de::Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tree, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Tree, E> {
        Ok(Tree::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Tree, E> {
        Ok(Tree::UInt(value))
    }

    // Beyond 64 bits no record field can hold the number; its text still reaches string fields.
    fn visit_i128<E>(self, value: i128) -> Result<Tree, E> {
        Ok(Tree::Float(value as f64))
    }

    fn visit_u128<E>(self, value: u128) -> Result<Tree, E> {
        Ok(Tree::Float(value as f64))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Tree, E> {
        Ok(Tree::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Tree, E> {
        Ok(Tree::Str(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Tree, E> {
        Ok(Tree::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Tree::Map(entries))
    }
}

/// Turns the parser's tree into [`Node`]s, taking the written text of inferred scalars from
/// `source` (the definition's span, so a value reached through an alias has its anchor's
/// text).
fn build(tree: Spanned<Tree>, source: &str) -> Node {
    let line = tree.referenced.line();
    let span = tree.defined.span();
    let written = |canonical: String| {
        span.byte_offset()
            .zip(span.byte_len())
            .and_then(|(offset, len)| {
                let start = usize::try_from(offset).ok()?;
                let end = start.checked_add(usize::try_from(len).ok()?)?;
                source.get(start..end)
            })
            .map(str::trim)
            // Only a plain scalar can have been inferred; anything else (a tag, an anchor,
            // an alias) is not the value's own text, so the canonical spelling stands in.
            .filter(|text| {
                !text.is_empty()
                    && !text.starts_with(['!', '&', '*', '"', '\'', '|', '>'])
                    && !text.contains(['\n', '#'])
            })
            .map_or(canonical, str::to_owned)
    };
    let value = match tree.value {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(b, written(b.to_string())),
        Tree::Int(i) => Value::Int(i, written(i.to_string())),
        Tree::UInt(u) => Value::UInt(u, written(u.to_string())),
        Tree::Float(f) => Value::Float(f, written(f.to_string())),
        Tree::Str(s) => Value::Str(s),
        Tree::Seq(items) => Value::Seq(items.into_iter().map(|i| build(i, source)).collect()),
        Tree::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (build(k, source), build(v, source)))
                .collect(),
        ),
    };
    Node { value, line }
}

/// Why a node did not decode: the message, the line of the innermost node it concerns and
/// the path of fields to it (`revoked.date`, `decisions[1].grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub message: String,
    pub line: Option<u64>,
    pub path: String,
}

impl DecodeError {
    /// Sets the line when no inner node has.
    fn at(mut self, line: u64) -> DecodeError {
        self.line.get_or_insert(line);
        self
    }

    /// Puts `segment` (a field name, or `[i]`) in front of the path.
    fn within(mut self, segment: &str) -> DecodeError {
        self.path = if self.path.is_empty() || self.path.starts_with('[') {
            format!("{segment}{}", self.path)
        } else {
            format!("{segment}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(message: T) -> DecodeError {
        DecodeError {
            message: message.to_string(),
            line: None,
            path: String::new(),
        }
    }
}

/// A [`Deserializer`] reading one [`Node`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeDeserializer<'a>(pub &'a Node);

impl<'a> NodeDeserializer<'a> {
    /// Refuses an empty value where something is required, in words rather than serde's
    /// "unit value".
    fn present<'de, V: Visitor<'de>>(
        self,
        visitor: V,
        then: impl FnOnce(Self, V) -> Result<V::Value, DecodeError>,
    ) -> Result<V::Value, DecodeError> {
        if matches!(self.0.value, Value::Null) {
            Err(<DecodeError as de::Error>::invalid_type(
                Unexpected::Other("an empty value"),
                &visitor,
            )
            .at(self.0.line))
        } else {
            then(self, visitor).map_err(|e| e.at(self.0.line))
        }
    }

    fn any<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let result = match &self.0.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b, _) => visitor.visit_bool(*b),
            Value::Int(i, _) => visitor.visit_i64(*i),
            Value::UInt(u, _) => visitor.visit_u64(*u),
            Value::Float(f, _) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(Items {
                items: items.iter(),
                index: 0,
            }),
            Value::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(self.0.line))
    }

    fn text<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, |de, visitor| match de.0.text() {
            Some(text) => visitor.visit_str(text),
            None => de.any(visitor),
        })
    }
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if matches!(self.0.value, Value::Null) {
            visitor
                .visit_none()
                .map_err(|e: DecodeError| e.at(self.0.line))
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.text(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.text(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.text(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.text(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        // The records' enums are all unit variants written as a word: `status: signed`.
        self.present(visitor, |de, visitor| match de.0.text() {
            Some(text) => visitor.visit_enum(text.into_deserializer()),
            None => de.any(visitor),
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.present(visitor, Self::any)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct tuple tuple_struct ignored_any
    }
}

/// The items of a sequence.
struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(NodeDeserializer(item))
            .map(Some)
            .map_err(|e| e.at(item.line).within(&format!("[{index}]")))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of a mapping.
struct Entries<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<(&'a Node, &'a Node)>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        seed.deserialize(NodeDeserializer(key))
            .map(Some)
            .map_err(|e| e.at(key.line))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(NodeDeserializer(value)).map_err(|e| {
            let e = e.at(value.line);
            match key.text() {
                Some(name) => e.within(name),
                None => e,
            }
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failure with its location

    use super::*;

    /// A file within the size limit can still hold more values than the parser keeps; it is
    /// refused naming the limit, not as invalid YAML.
    #[test]
    fn a_document_with_more_values_than_the_limit_is_refused_naming_it() {
        assert!(parse_within(&"- [1, 2]\n".repeat(5), 20).is_ok());
        let error = parse_within(&"- [1, 2]\n".repeat(10), 20).unwrap_err();
        assert!(
            error
                .reason
                .starts_with("the file goes on past 20 YAML values"),
            "{}",
            error.reason
        );
        let error = parse_within("- [1, 2\n", 20).unwrap_err();
        assert!(
            error.reason.starts_with("this is not valid YAML: "),
            "{}",
            error.reason
        );
    }
}
