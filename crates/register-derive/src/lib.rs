//! `#[derive(Form)]`: a register record type describes its own fields for the command line
//! and for drafting, so each field is defined once, on the record.
//!
//! The derive reads each field's type (optional, list, and what it holds: text, a date, a
//! yes or no, a number, a moment (`jiff::Timestamp`), a `Document`, or else an enum read by `FromStr` and listed by
//! `phiguard_register::draft::Choices`), its doc comment (the help) and `#[serde(default)]`
//! (not required), with `#[field(...)]` for what a type cannot say, and `#[record(...)]` on
//! the struct for the kind's help and examples. It generates
//! `phiguard_register::draft::Described`, whose `RecordForm` is documented there.
//!
//! Field options: `id` (the field is the record's id; else the field named `id`), `skip`,
//! `optional` (not required, though serde does not default it on this type: a list that the
//! serde shape of another type defaults), `flag = "phi-use"`, `value_name = "USE"`,
//! `help = "…"` (instead of the doc comment), `refers = Vendor` (the kind it names by id),
//! `digest` (a file of which only the SHA-256 is kept), `text` (a value typed in as text and
//! read by the type's `FromStr`, such as `OH=120`), `default = today` or
//! `default = policy.version` (that field of the record another field names).
//!
//! Struct options: `about`, `example_id`, `add`, `update`, `see_also = "…"`, and
//! `default_id(system, date)` (the id `Self::default_id(…)` makes from those fields when
//! `add` is given none).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, LitStr, PathArguments, Type};

#[proc_macro_derive(Form, attributes(field, record))]
pub fn derive_form(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    form(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// What the struct's `#[record(...)]` says.
#[derive(Default)]
struct RecordOptions {
    about: Option<LitStr>,
    example_id: Option<LitStr>,
    add: Option<LitStr>,
    update: Option<LitStr>,
    see_also: Option<LitStr>,
    default_id: Vec<Ident>,
}

/// What a field's `#[field(...)]` says.
#[derive(Default)]
struct FieldOptions {
    id: bool,
    skip: bool,
    optional: bool,
    digest: bool,
    text: bool,
    flag: Option<LitStr>,
    value_name: Option<LitStr>,
    help: Option<LitStr>,
    refers: Option<Ident>,
    default: Option<(Ident, Option<Ident>)>,
}

/// One field as the derive sees it.
struct Field {
    name: Ident,
    /// The type inside `Option` or `Vec`.
    inner: Type,
    optional: bool,
    list: bool,
    serde_default: bool,
    doc: Option<String>,
    options: FieldOptions,
}

fn form(input: &DeriveInput) -> syn::Result<Tokens> {
    let name = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(name, "Form describes a struct"));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(name, "Form needs named fields"));
    };
    let record = record_options(input)?;
    let fields = named
        .named
        .iter()
        .map(field)
        .collect::<syn::Result<Vec<Field>>>()?;
    let fields: Vec<Field> = fields.into_iter().filter(|f| !f.options.skip).collect();
    let id = fields
        .iter()
        .find(|f| f.options.id)
        .or_else(|| fields.iter().find(|f| f.name == "id"))
        .ok_or_else(|| {
            syn::Error::new_spanned(name, "no field is the id: mark one #[field(id)]")
        })?;
    let id_field = id.name.to_string();
    let id_type = &id.inner;
    let specs = fields
        .iter()
        .filter(|f| f.name != id.name)
        .map(field_spec)
        .collect::<syn::Result<Vec<Tokens>>>()?;
    let default_id = default_id(name, &record.default_id, &fields)?;
    let required = |value: &Option<LitStr>, what: &str| {
        value.clone().ok_or_else(|| {
            syn::Error::new_spanned(name, format!("#[record({what} = \"…\")] is missing"))
        })
    };
    let about = required(&record.about, "about")?;
    let example_id = required(&record.example_id, "example_id")?;
    let add = required(&record.add, "add")?;
    let update = required(&record.update, "update")?;
    let see_also = match &record.see_also {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    Ok(quote! {
        impl ::phiguard_register::draft::Described for #name {
            fn form() -> &'static ::phiguard_register::draft::RecordForm {
                #default_id
                static FORM: ::phiguard_register::draft::RecordForm =
                    ::phiguard_register::draft::RecordForm {
                        kind: <#name as ::phiguard_register::records::Record>::KIND,
                        id_field: #id_field,
                        parse_id: ::phiguard_register::draft::parse_as::<#id_type>,
                        fields: &[ #( #specs ),* ],
                        default_id: DEFAULT_ID,
                        help: ::phiguard_register::draft::KindHelp {
                            about: #about,
                            example_id: #example_id,
                            add: #add,
                            update: #update,
                            see_also: #see_also,
                        },
                    };
                &FORM
            }
        }
    })
}

fn record_options(input: &DeriveInput) -> syn::Result<RecordOptions> {
    let mut options = RecordOptions::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("record")) {
        attr.parse_nested_meta(|meta| {
            let text = |slot: &mut Option<LitStr>| -> syn::Result<()> {
                *slot = Some(meta.value()?.parse()?);
                Ok(())
            };
            if meta.path.is_ident("about") {
                text(&mut options.about)
            } else if meta.path.is_ident("example_id") {
                text(&mut options.example_id)
            } else if meta.path.is_ident("add") {
                text(&mut options.add)
            } else if meta.path.is_ident("update") {
                text(&mut options.update)
            } else if meta.path.is_ident("see_also") {
                text(&mut options.see_also)
            } else if meta.path.is_ident("default_id") {
                meta.parse_nested_meta(|field| {
                    let ident = field
                        .path
                        .get_ident()
                        .ok_or_else(|| field.error("name a field"))?;
                    options.default_id.push(ident.clone());
                    Ok(())
                })
            } else {
                Err(meta.error("unknown #[record] option"))
            }
        })?;
    }
    Ok(options)
}

fn field(field: &syn::Field) -> syn::Result<Field> {
    let name = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new_spanned(field, "Form needs named fields"))?;
    let (inner, optional, list) = match wrapped(&field.ty, "Option") {
        Some(inner) => (inner, true, false),
        None => match wrapped(&field.ty, "Vec") {
            Some(inner) => (inner, false, true),
            None => (field.ty.clone(), false, false),
        },
    };
    let mut options = FieldOptions::default();
    let mut serde_default = false;
    let mut doc: Vec<String> = Vec::new();
    for attr in &field.attrs {
        if attr.path().is_ident("doc") {
            if let syn::Meta::NameValue(value) = &attr.meta
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = &value.value
            {
                doc.push(text.value().trim().to_owned());
            }
        } else if attr.path().is_ident("serde") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("default") {
                    serde_default = true;
                }
                // Other serde options are serde's business; skip their values.
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Lit = meta.value()?.parse()?;
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("field") {
            attr.parse_nested_meta(|meta| {
                let path = &meta.path;
                if path.is_ident("id") {
                    options.id = true;
                } else if path.is_ident("skip") {
                    options.skip = true;
                } else if path.is_ident("optional") {
                    options.optional = true;
                } else if path.is_ident("digest") {
                    options.digest = true;
                } else if path.is_ident("text") {
                    options.text = true;
                } else if path.is_ident("flag") {
                    options.flag = Some(meta.value()?.parse()?);
                } else if path.is_ident("value_name") {
                    options.value_name = Some(meta.value()?.parse()?);
                } else if path.is_ident("help") {
                    options.help = Some(meta.value()?.parse()?);
                } else if path.is_ident("refers") {
                    options.refers = Some(meta.value()?.parse()?);
                } else if path.is_ident("default") {
                    let value = meta.value()?;
                    let first: Ident = value.parse()?;
                    let second = if value.peek(syn::Token![.]) {
                        let _: syn::Token![.] = value.parse()?;
                        Some(value.parse::<Ident>()?)
                    } else {
                        None
                    };
                    options.default = Some((first, second));
                } else {
                    return Err(meta.error("unknown #[field] option"));
                }
                Ok(())
            })?;
        }
    }
    let doc = doc.join(" ");
    let doc = doc.trim();
    Ok(Field {
        name,
        inner,
        optional,
        list,
        serde_default,
        doc: (!doc.is_empty()).then(|| doc.strip_suffix('.').unwrap_or(doc).to_owned()),
        options,
    })
}

/// `T` when `ty` is `wrapper<T>`.
fn wrapped(ty: &Type, wrapper: &str) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) => Some(inner.clone()),
        _ => None,
    }
}

/// The name of a type's last path segment: `Date` for `jiff::civil::Date`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn field_spec(field: &Field) -> syn::Result<Tokens> {
    let name = field.name.to_string();
    let inner = &field.inner;
    let draft = quote!(::phiguard_register::draft);
    let (value, parse, placeholder) = match (field.options.digest, type_name(inner).as_str()) {
        // A value typed in as text and read by the type's `FromStr`: `OH=120`.
        _ if field.options.text => (quote!(Text), quote!(#draft::parse_as::<#inner>), ""),
        // Files are read by the caller; their path is text until then.
        (true, _) => (
            quote!(Digest),
            quote!(#draft::parse_as::<::std::string::String>),
            "FILE",
        ),
        (false, "Document") => (
            quote!(Document),
            quote!(#draft::parse_as::<::std::string::String>),
            "FILE",
        ),
        (false, "String") => (
            quote!(Text),
            quote!(#draft::parse_as::<::std::string::String>),
            "",
        ),
        (false, "Date") => (quote!(Date), quote!(#draft::parse_day), "YYYY-MM-DD"),
        (false, "Timestamp") => (quote!(Time), quote!(#draft::parse_time), "TIME"),
        (false, "bool") => (quote!(Bool), quote!(#draft::parse_as::<bool>), "BOOL"),
        (false, "f64" | "f32") => (quote!(Number), quote!(#draft::parse_decimal::<#inner>), ""),
        (false, "u16" | "u32" | "u64") => {
            (quote!(Number), quote!(#draft::parse_whole::<#inner>), "")
        }
        // Any other type is an enum, read by its `FromStr` and listed by its `Choices`.
        _ => (quote!(Choice), quote!(#draft::parse_as::<#inner>), ""),
    };
    let choices = if value.to_string() == "Choice" {
        quote!(::phiguard_register::draft::choices_of::<#inner>)
    } else {
        quote!(::phiguard_register::draft::no_choices)
    };
    let flag = field
        .options
        .flag
        .as_ref()
        .map_or_else(|| name.replace('_', "-"), LitStr::value);
    let value_name = match (&field.options.value_name, placeholder) {
        (Some(given), _) => given.value(),
        (None, "") => name.to_uppercase(),
        (None, placeholder) => placeholder.to_owned(),
    };
    let help = match (&field.options.help, &field.doc) {
        (Some(help), _) => help.value(),
        (None, Some(doc)) => doc.clone(),
        (None, None) => {
            return Err(syn::Error::new_spanned(
                &field.name,
                "a register field needs a doc comment or #[field(help = \"…\")]: it is the flag's help",
            ));
        }
    };
    let list = field.list;
    let required = !field.optional && !field.serde_default && !field.options.optional;
    let default = match &field.options.default {
        None => quote!(::core::option::Option::None),
        Some((today, None)) if today == "today" => {
            quote!(::core::option::Option::Some(
                ::phiguard_register::draft::FieldDefault::Today
            ))
        }
        Some((via, Some(of))) => {
            let (via, of) = (via.to_string(), of.to_string());
            quote!(::core::option::Option::Some(
                ::phiguard_register::draft::FieldDefault::Referenced { via: #via, field: #of }
            ))
        }
        Some((other, None)) => {
            return Err(syn::Error::new_spanned(
                other,
                "a default is `today` or `FIELD.FIELD_OF_THE_RECORD_IT_NAMES`",
            ));
        }
    };
    let refers = match &field.options.refers {
        Some(kind) => quote!(::core::option::Option::Some(::phiguard_register::Kind::#kind)),
        None => quote!(::core::option::Option::None),
    };
    Ok(quote! {
        ::phiguard_register::draft::FieldSpec {
            name: #name,
            flag: #flag,
            help: #help,
            value_name: #value_name,
            value: ::phiguard_register::draft::ValueKind::#value,
            parse: #parse,
            choices: #choices,
            list: #list,
            required: #required,
            default: #default,
            refers_to: #refers,
        }
    })
}

/// `const DEFAULT_ID`: a function making the id from the fields `#[record(default_id(...))]`
/// names, by the record type's own `default_id`, or `None`.
fn default_id(record: &Ident, names: &[Ident], fields: &[Field]) -> syn::Result<Tokens> {
    if names.is_empty() {
        return Ok(quote! {
            const DEFAULT_ID: ::core::option::Option<
                fn(&::phiguard_register::draft::Values) -> ::core::option::Option<::std::string::String>,
            > = ::core::option::Option::None;
        });
    }
    let mut bindings = Vec::new();
    let mut arguments = Vec::new();
    for name in names {
        let field = fields
            .iter()
            .find(|f| &f.name == name)
            .ok_or_else(|| syn::Error::new_spanned(name, "no such field"))?;
        let inner = &field.inner;
        let key = name.to_string();
        // An optional field is passed as an `Option` (`Option<&str>` for text); a required
        // one must be given for the id to be made.
        if field.optional {
            bindings.push(quote! {
                let #name: ::core::option::Option<#inner> =
                    ::phiguard_register::draft::value_of(values, #key);
            });
        } else {
            bindings.push(quote! {
                let #name: #inner = ::phiguard_register::draft::value_of(values, #key)?;
            });
        }
        arguments.push(match (field.optional, type_name(inner) == "String") {
            (true, true) => quote!(#name.as_deref()),
            (false, true) => quote!(&#name),
            (_, false) => quote!(#name),
        });
    }
    Ok(quote! {
        fn made_id(values: &::phiguard_register::draft::Values) -> ::core::option::Option<::std::string::String> {
            #( #bindings )*
            ::core::option::Option::Some(#record::default_id(#( #arguments ),*))
        }
        const DEFAULT_ID: ::core::option::Option<
            fn(&::phiguard_register::draft::Values) -> ::core::option::Option<::std::string::String>,
        > = ::core::option::Option::Some(made_id);
    })
}
