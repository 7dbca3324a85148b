//! The fieldless enums of the records: words people type, with the spellings they use.

/// Words an enum of the records takes: its serde name, with `-` or `_`, any case.
pub(crate) fn choose<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Option<T> {
    let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
    all.iter().copied().find(|value| name(*value) == wanted)
}

/// The names of `all`, for an error: "a, b or c".
pub(crate) fn listed<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Declares a fieldless enum of snake_case words with `ALL`, `as_str`, `FromStr` (which names
/// the accepted words when it refuses one) and `Choices`.
macro_rules! words_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $word, )* }
            }
        }

        impl Choices for $name {
            fn all() -> &'static [$name] {
                $name::ALL
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<$name, String> {
                choose($name::ALL, $name::as_str, text).ok_or_else(|| {
                    format!("{text:?} is not {}; use {}", $what, listed($name::ALL, $name::as_str))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use words_enum as words;
