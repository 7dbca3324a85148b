//! What every OSCAL document phiguard writes shares: its version, the namespace of its props,
//! and the two rules of OSCAL's JSON that are easy to break (a prop value is one line, never
//! empty; an array is never empty).

use serde_json::{Map, Value, json};

/// The OSCAL version the documents conform to.
pub const VERSION: &str = "1.1.2";

/// The namespace of phiguard's props and facets. It only has to be a URI phiguard controls,
/// so that a reader can tell phiguard's `status` or `likelihood` from anyone else's; it need
/// not resolve.
pub const NAMESPACE: &str = "https://github.com/phiguard/phiguard/ns/oscal";

/// A prop in phiguard's namespace. OSCAL prop values are one line without leading or trailing
/// space, so whitespace runs become one space; an empty value becomes `none`.
pub fn prop(name: &str, value: &str) -> Value {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let value = if value.is_empty() {
        "none".to_owned()
    } else {
        value
    };
    json!({ "name": name, "ns": NAMESPACE, "value": value })
}

/// Inserts `key` only when `items` has something: OSCAL arrays must not be empty.
pub fn insert_list(map: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        map.insert(key.into(), Value::Array(items));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prop_is_one_line_and_never_empty_and_an_empty_list_is_left_out() {
        assert_eq!(prop("owner", "  Dana \n Ruiz ")["value"], "Dana Ruiz");
        assert_eq!(prop("owner", " \n")["value"], "none");
        assert_eq!(prop("owner", "x")["ns"], NAMESPACE);
        let mut map = Map::new();
        insert_list(&mut map, "props", Vec::new());
        assert!(map.is_empty());
        insert_list(&mut map, "props", vec![prop("a", "b")]);
        assert_eq!(map["props"].as_array().map(Vec::len), Some(1));
    }
}
