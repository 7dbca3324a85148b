//! Resource policies (S3 bucket policies, KMS key policies, SQS and SNS policies) read for what
//! the checks judge: what they allow to everyone, and whether they refuse requests without TLS.
//!
//! A statement is public when it allows a principal of `*` (or `{"AWS": "*"}`) and no
//! condition narrows it to an account, an organisation, a network or a source: such a
//! condition makes the grant someone's, not everyone's. Anything that cannot be read as a
//! policy is reported, never guessed at. IAM's own policies are read here too, for whether
//! they grant everything ([`grants_everything`]).

use serde_json::Value;

use crate::inventory::PolicyFacts;

/// Condition keys that narrow a grant to known callers.
const NARROWING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:userid",
    "kms:calleraccount",
    "kms:viaservice",
];

/// What `document` (a policy in JSON) allows to everyone and whether it denies requests
/// without TLS. An error says why it is not a policy.
pub fn facts(document: &str) -> Result<PolicyFacts, String> {
    let policy: Value =
        serde_json::from_str(document).map_err(|e| format!("the policy is not JSON: {e}"))?;
    let statements = statements(&policy)?;
    let mut facts = PolicyFacts::default();
    for statement in &statements {
        let effect = statement
            .get("Effect")
            .and_then(Value::as_str)
            .unwrap_or("");
        let everyone = principal_is_everyone(statement.get("Principal"));
        if effect.eq_ignore_ascii_case("Allow") && everyone && !narrowed(statement) {
            for action in strings(statement.get("Action")) {
                if !facts.public_actions.contains(&action) {
                    facts.public_actions.push(action);
                }
            }
        }
        if effect.eq_ignore_ascii_case("Deny") && everyone && denies_plain_http(statement) {
            facts.denies_insecure_transport = true;
        }
    }
    facts.public_actions.sort();
    Ok(facts)
}

/// A policy's statements: a list, or the one statement some policies give bare.
fn statements(policy: &Value) -> Result<Vec<Value>, String> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => Ok(list.clone()),
        Some(one @ Value::Object(_)) => Ok(vec![one.clone()]),
        _ => Err("the policy has no Statement".into()),
    }
}

/// Whether a policy document allows every action on every resource. IAM hands documents back
/// URL-encoded (RFC 3986); one that already reads as JSON is taken as it is.
pub fn grants_everything(document: &str) -> bool {
    let policy: Value = match serde_json::from_str(document) {
        Ok(policy) => policy,
        Err(_) => match serde_json::from_str(&percent_decode(document)) {
            Ok(policy) => policy,
            Err(_) => return false,
        },
    };
    let Ok(statements) = statements(&policy) else {
        return false;
    };
    statements.iter().any(|statement| {
        let allows = statement
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
        let every_action = strings(statement.get("Action"))
            .iter()
            .any(|a| a == "*" || a == "*:*");
        let every_resource = strings(statement.get("Resource")).iter().any(|r| r == "*");
        allows && every_action && every_resource && statement.get("Condition").is_none()
    })
}

/// `%XX` escapes decoded; anything that is not a whole escape is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn principal_is_everyone(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(map)) => map
            .get("AWS")
            .is_some_and(|aws| strings(Some(aws)).iter().any(|p| p == "*")),
        _ => false,
    }
}

/// Whether a condition of the statement names one of the narrowing keys.
fn narrowed(statement: &Value) -> bool {
    let Some(Value::Object(conditions)) = statement.get("Condition") else {
        return false;
    };
    conditions.values().any(|operator| match operator {
        Value::Object(keys) => keys
            .keys()
            .any(|key| NARROWING_KEYS.contains(&key.to_ascii_lowercase().as_str())),
        _ => false,
    })
}

/// A `Bool` (or `BoolIfExists`) condition on `aws:SecureTransport` being false.
fn denies_plain_http(statement: &Value) -> bool {
    let Some(Value::Object(conditions)) = statement.get("Condition") else {
        return false;
    };
    conditions.iter().any(|(operator, keys)| {
        operator.to_ascii_lowercase().starts_with("bool")
            && keys.as_object().is_some_and(|keys| {
                keys.iter().any(|(key, value)| {
                    key.eq_ignore_ascii_case("aws:SecureTransport")
                        && strings(Some(value))
                            .iter()
                            .chain(value.as_bool().map(|b| b.to_string()).iter())
                            .any(|v| v.eq_ignore_ascii_case("false"))
                })
            })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::{facts, grants_everything, percent_decode};

    #[test]
    fn a_grant_to_everyone_is_public_unless_a_condition_narrows_it() {
        let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
            "Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"}]}"#;
        assert_eq!(
            facts(public).unwrap().public_actions,
            ["s3:GetObject", "s3:ListBucket"]
        );
        let aws_star = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},
            "Action":"s3:PutObject","Resource":"*"}}"#;
        assert_eq!(facts(aws_star).unwrap().public_actions, ["s3:PutObject"]);
        let narrowed = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
            "Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}]}"#;
        assert!(facts(narrowed).unwrap().public_actions.is_empty());
        let one_account = r#"{"Statement":[{"Effect":"Allow",
            "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}]}"#;
        assert!(facts(one_account).unwrap().public_actions.is_empty());
    }

    #[test]
    fn a_deny_of_plain_http_to_everyone_is_found_in_either_spelling() {
        for value in [r#""false""#, "false", r#"["false"]"#] {
            let policy = format!(
                r#"{{"Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:*",
                "Resource":"*","Condition":{{"Bool":{{"aws:SecureTransport":{value}}}}}}}]}}"#
            );
            assert!(
                facts(&policy).unwrap().denies_insecure_transport,
                "{policy}"
            );
        }
        let allow = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*",
            "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(!facts(allow).unwrap().denies_insecure_transport);
    }

    #[test]
    fn what_is_not_a_policy_is_refused() {
        assert!(facts("not json").unwrap_err().contains("not JSON"));
        assert!(facts("{}").unwrap_err().contains("no Statement"));
    }

    #[test]
    fn only_every_action_on_every_resource_unconditioned_is_administrative() {
        let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(grants_everything(admin));
        let listed =
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":["*"]}}"#;
        assert!(grants_everything(listed));
        let one_service = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        assert!(!grants_everything(one_service));
        let one_bucket =
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}]}"#;
        assert!(!grants_everything(one_bucket));
        let denied = r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
        assert!(!grants_everything(denied));
        let conditioned = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
            "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#;
        assert!(!grants_everything(conditioned));
    }

    #[test]
    fn url_encoded_documents_are_read_and_garbage_is_not_administrative() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        assert!(grants_everything(encoded));
        assert!(!grants_everything("not a policy"));
        assert!(!grants_everything("%7B%22Statement%22"));
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
