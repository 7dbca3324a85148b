//! What every reader shares: who the account is, which regions it has, and what a failed call
//! means (denied, absent, or failed).

use aws_config::SdkConfig;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;

use super::ScanError;
use crate::seen::{Gap, Seen};

/// Error codes that mean the caller may not make the call.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
];

/// Error codes that mean the credentials themselves were refused.
const BAD_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
];

/// How a failed call reads: its code and message, without the request or the response.
pub(crate) fn describe<E, R>(error: &SdkError<E, R>) -> (Option<String>, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().map(str::to_owned);
            let message = inner
                .message()
                .map(str::to_owned)
                .or_else(|| code.clone())
                .unwrap_or_else(|| "the service refused the call".into());
            (code, message)
        }
        SdkError::TimeoutError(_) => (None, "the call timed out".into()),
        SdkError::DispatchFailure(failure) => (
            None,
            if failure.is_io() {
                "the service could not be reached".into()
            } else {
                "the request could not be sent".into()
            },
        ),
        SdkError::ResponseError(_) => (None, "the response could not be read".into()),
        SdkError::ConstructionFailure(_) => (None, "the request could not be built".into()),
        _ => (None, "the call failed".into()),
    }
}

/// The fact a call returned, or why it did not: `action` is the IAM action it needs.
pub(crate) fn seen<T, E, R>(action: &str, result: Result<T, SdkError<E, R>>) -> Seen<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(value) => Seen::Known(value),
        Err(error) => unseen(action, &error),
    }
}

/// Like [`seen`], where some error codes mean the thing is simply not there (a bucket without
/// a policy answers `NoSuchBucketPolicy`): those are `Known(None)`.
pub(crate) fn seen_or_absent<T, E, R>(
    action: &str,
    absent: &[&str],
    result: Result<T, SdkError<E, R>>,
) -> Seen<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(value) => Seen::Known(Some(value)),
        Err(error) => {
            let (code, _) = describe(&error);
            if code.as_deref().is_some_and(|c| absent.contains(&c)) {
                Seen::Known(None)
            } else {
                unseen(action, &error)
            }
        }
    }
}

/// Why a call gave nothing.
pub(crate) fn unseen<T, E, R>(action: &str, error: &SdkError<E, R>) -> Seen<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = describe(error);
    match code.as_deref() {
        Some(code) if DENIED.contains(&code) => Seen::Denied {
            action: action.to_owned(),
        },
        _ => Seen::Failed {
            action: action.to_owned(),
            reason: message,
        },
    }
}

/// A service or region that could not be listed at all.
pub(crate) fn gap<T>(service: &str, region: Option<&str>, seen: Seen<T>) -> Gap {
    Gap {
        service: service.to_owned(),
        region: region.map(str::to_owned),
        seen: seen.map(|_| ()),
    }
}

/// The region a regional reader reads: the one the scan gave it, else its configuration's,
/// else us-east-1 (where a region-less default configuration lands).
pub(crate) fn region_of(config: &SdkConfig, region: Option<&str>) -> String {
    region
        .map(str::to_owned)
        .or_else(|| config.region().map(|r| r.to_string()))
        .unwrap_or_else(|| "us-east-1".into())
}

/// The account the credentials belong to. Missing or refused credentials stop the scan:
/// nothing else could be read either.
pub(crate) async fn account(config: &SdkConfig) -> Result<String, ScanError> {
    let sts = aws_sdk_sts::Client::new(config);
    match sts.get_caller_identity().send().await {
        Ok(identity) => Ok(identity.account().unwrap_or_default().to_owned()),
        Err(error) => {
            let (code, message) = describe(&error);
            match code.as_deref() {
                Some(code) if BAD_CREDENTIALS.contains(&code) => {
                    Err(ScanError::BadCredentials(code.to_owned()))
                }
                _ if matches!(error, SdkError::ConstructionFailure(_)) => {
                    Err(ScanError::NoCredentials)
                }
                _ => Err(ScanError::BadCredentials(message)),
            }
        }
    }
}

/// The regions enabled in the account, in name order.
pub(crate) async fn enabled_regions(config: &SdkConfig) -> Result<Vec<String>, String> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let regions = ec2
        .describe_regions()
        .all_regions(false)
        .send()
        .await
        .map_err(|error| describe(&error).1)?;
    let mut names: Vec<String> = regions
        .regions()
        .iter()
        .filter(|r| {
            r.opt_in_status()
                .is_none_or(|status| status != "not-opted-in")
        })
        .filter_map(|r| r.region_name().map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}
