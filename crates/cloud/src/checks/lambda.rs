//! Lambda: no function can be called by anyone on the internet, through a function URL
//! without authentication or a resource policy granting invocation to everyone.

use phiguard_core::{CheckMeta, Finding, Severity};

use super::{Rule, Scope, Verdict, each};

pub(super) fn rules() -> Vec<Rule> {
    vec![
        Rule::new(
            "cloud.aws.lambda.url_public",
            "lambda",
            "no Lambda function URL accepts calls without authentication",
            Severity::High,
            "45 CFR 164.312(d) asks that whoever seeks access to ePHI be authenticated, and \
             164.312(a)(1) that access go only to those granted it. A function URL with auth \
             type NONE runs the function for any request from the internet, with the \
             function's role: whatever ePHI that role reads, anyone can ask it for.",
            "Console: Lambda > Functions > FUNCTION > Configuration > Function URL > Edit, \
             Auth type AWS_IAM (or Delete the URL, and put API Gateway with an authorizer in \
             front). CLI: `aws lambda update-function-url-config --function-name FUNCTION \
             --auth-type AWS_IAM`, or `aws lambda delete-function-url-config --function-name \
             FUNCTION`.",
            url_public,
        ),
        Rule::new(
            "cloud.aws.lambda.policy_public",
            "lambda",
            "no Lambda function's resource policy lets everyone invoke it",
            Severity::High,
            "45 CFR 164.312(a)(1) limits access to ePHI to those granted it. A resource policy \
             allowing `\"Principal\": \"*\"` to invoke a function, without a condition naming \
             the account, the organisation or the source, lets any AWS account run it with \
             the function's role.",
            "Console: Lambda > Functions > FUNCTION > Configuration > Permissions > Resource-based \
             policy statements, delete the statement granting to `*` or re-add it for a named \
             principal with a source ARN or account. CLI: `aws lambda get-policy --function-name \
             FUNCTION`, then `aws lambda remove-permission --function-name FUNCTION \
             --statement-id SID`.",
            policy_public,
        ),
    ]
}

const NO_FUNCTIONS: &str = "no Lambda function in the regions scanned";

fn url_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.lambda.functions,
        |f| &f.resource,
        |f| {
            Verdict::on(&f.url_auth, |auth| match auth.as_deref() {
                None => Verdict::Pass("has no function URL".into()),
                Some("NONE") => Verdict::Fail(
                    "has a function URL that anyone can call without authentication (auth type \
                     NONE)"
                        .into(),
                ),
                Some(auth) => Verdict::Pass(format!(
                    "has a function URL that requires authentication (auth type {auth})"
                )),
            })
        },
        NO_FUNCTIONS,
    )
}

/// Whether an action a policy grants includes invoking the function.
fn invokes(action: &str) -> bool {
    let action = action.to_ascii_lowercase();
    action == "*" || action == "lambda:*" || action.starts_with("lambda:invoke")
}

fn policy_public(meta: &CheckMeta, scope: &Scope<'_>) -> Vec<Finding> {
    each(
        meta,
        scope,
        &scope.inventory.lambda.functions,
        |f| &f.resource,
        |f| {
            Verdict::on(&f.policy, |facts| {
                let public: Vec<&str> = facts
                    .iter()
                    .flat_map(|facts| facts.public_actions.iter())
                    .map(String::as_str)
                    .filter(|a| invokes(a))
                    .collect();
                match (facts, public.is_empty()) {
                    (None, _) => Verdict::Pass("has no resource policy".into()),
                    (Some(_), true) => {
                        Verdict::Pass("its resource policy lets no one invoke it publicly".into())
                    }
                    (Some(_), false) => Verdict::Fail(format!(
                        "its resource policy allows everyone {}",
                        public.join(", ")
                    )),
                }
            })
        },
        NO_FUNCTIONS,
    )
}

#[cfg(test)]
mod tests {
    use super::invokes;

    #[test]
    fn only_grants_that_reach_invocation_count() {
        assert!(invokes("lambda:InvokeFunction"));
        assert!(invokes("lambda:InvokeFunctionUrl"));
        assert!(invokes("Lambda:*"));
        assert!(invokes("*"));
        assert!(!invokes("lambda:GetFunction"));
    }
}
