//! The `aws-kms` root key provider: a symmetric key in AWS KMS wraps the keyring's secrets
//! through KMS Encrypt and Decrypt, so the key itself never leaves KMS.
//!
//! It lives here rather than in `phiguard_crypto` so that crate stays free of the AWS SDK.
//! The keyring's label for each secret is sent as the KMS encryption context, which KMS
//! binds to the ciphertext: a wrapped secret handed back under another label (another KEK
//! version, another keyring) is refused by KMS itself, and every use shows in CloudTrail with
//! the label in clear.
//!
//! [`RootKey`] is synchronous and is called from inside phiguard's tokio runtime, where
//! blocking on a future would stall (or, on a current-thread runtime, deadlock) it. So each
//! root runs the SDK on a thread of its own, with its own current-thread runtime, and the
//! caller waits for the answer on a plain channel. The thread ends when the root is dropped.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use aws_config::Region;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_kms::primitives::Blob;
use phiguard_crypto::{RootConfig, RootKey, RootKeyError};
use tokio::sync::mpsc as async_mpsc;
use zeroize::Zeroizing;

use super::ScanOptions;
use super::calls::describe;

/// The encryption context key under which the label travels.
pub const CONTEXT_KEY: &str = "phiguard-label";

/// A root key in AWS KMS. `Debug` shows the key ARN only.
#[derive(Debug)]
pub struct AwsKmsRoot {
    key_arn: String,
    region: String,
    requests: async_mpsc::UnboundedSender<Request>,
}

/// One call for the KMS thread, with where to answer.
struct Request {
    call: Call,
    reply: mpsc::SyncSender<Result<Vec<u8>, RootKeyError>>,
}

enum Call {
    Describe,
    Encrypt {
        label: String,
        secret: Zeroizing<Vec<u8>>,
    },
    Decrypt {
        label: String,
        wrapped: Vec<u8>,
    },
}

impl AwsKmsRoot {
    /// A root over the KMS key `key` (an ARN, key id, alias or alias ARN) in `region` (when
    /// `None`, the region of an ARN, else the configured one), reached with the credentials
    /// and endpoint `options` and the usual AWS chain give. Nothing is called yet.
    pub fn connect(key: &str, region: Option<&str>, options: &ScanOptions) -> AwsKmsRoot {
        let region = region
            .map(str::to_owned)
            .or_else(|| arn_region(key))
            .or_else(|| options.regions.first().cloned());
        let mut options = options.clone();
        options.regions = region.iter().cloned().collect();
        let (requests, receiver) = async_mpsc::unbounded_channel();
        let key_id = key.to_owned();
        let (region_sender, region_receiver) = mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("phiguard-kms".into())
            .spawn(move || serve(key_id, options, receiver, region_sender));
        let region = match spawned {
            Ok(_) => region_receiver.recv().unwrap_or_default(),
            // Without its thread, every call answers that KMS cannot be reached: the sender's
            // receiver is gone.
            Err(_) => region.unwrap_or_default(),
        };
        AwsKmsRoot {
            key_arn: key.to_owned(),
            region,
            requests,
        }
    }

    /// A root over the key `config` records.
    pub fn open(config: &RootConfig, options: &ScanOptions) -> Option<AwsKmsRoot> {
        match config {
            RootConfig::AwsKms { key_arn, region } => {
                Some(AwsKmsRoot::connect(key_arn, Some(region), options))
            }
            _ => None,
        }
    }

    /// Asks KMS for the key's ARN (an alias or key id given to [`AwsKmsRoot::connect`] is
    /// resolved) and returns the configuration to record, refusing a key that is not a
    /// symmetric encryption key.
    pub fn resolve(mut self) -> Result<(RootConfig, AwsKmsRoot), RootKeyError> {
        let arn = String::from_utf8(self.call(Call::Describe)?).unwrap_or_default();
        self.key_arn = arn.clone();
        Ok((
            RootConfig::AwsKms {
                key_arn: arn,
                region: self.region.clone(),
            },
            self,
        ))
    }

    fn call(&self, call: Call) -> Result<Vec<u8>, RootKeyError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || RootKeyError::Kms {
            key: self.key_arn.clone(),
            action: "be reached",
            reason: "phiguard's KMS client stopped".into(),
        };
        self.requests
            .send(Request { call, reply })
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

impl RootKey for AwsKmsRoot {
    fn wrap(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError> {
        self.call(Call::Encrypt {
            label: label_text(label)?,
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.call(Call::Decrypt {
            label: label_text(label)?,
            wrapped: wrapped.to_vec(),
        })
        .map(Zeroizing::new)
    }
}

/// The label as KMS takes encryption context values: text. phiguard's labels are ASCII.
fn label_text(label: &[u8]) -> Result<String, RootKeyError> {
    String::from_utf8(label.to_vec()).map_err(|_| RootKeyError::Cipher {
        action: "use a label that is not text as KMS encryption context",
    })
}

/// The region of a KMS ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
fn arn_region(key: &str) -> Option<String> {
    let mut parts = key.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some("kms"), Some(region)) if !region.is_empty() => {
            Some(region.to_owned())
        }
        _ => None,
    }
}

/// The KMS thread: its own runtime and client, answering requests until the root is dropped.
fn serve(
    key_id: String,
    options: ScanOptions,
    mut requests: async_mpsc::UnboundedReceiver<Request>,
    region: mpsc::SyncSender<String>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = region.send(options.regions.first().cloned().unwrap_or_default());
            while let Some(request) = requests.blocking_recv() {
                let _ = request.reply.send(Err(RootKeyError::Kms {
                    key: key_id.clone(),
                    action: "be reached",
                    reason: format!("no runtime for the KMS client: {error}"),
                }));
            }
            return;
        }
    };
    runtime.block_on(async move {
        let config = super::load_config(&options)
            .await
            .into_builder()
            // A root is used interactively: a few quick attempts, then say what is wrong,
            // rather than the scan's long adaptive patience.
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
            .build();
        let _ = region.send(config.region().map(Region::to_string).unwrap_or_default());
        let client = aws_sdk_kms::Client::new(&config);
        while let Some(Request { call, reply }) = requests.recv().await {
            let _ = reply.send(run(&client, &key_id, call).await);
        }
    });
}

async fn run(
    client: &aws_sdk_kms::Client,
    key_id: &str,
    call: Call,
) -> Result<Vec<u8>, RootKeyError> {
    let context = |label: String| HashMap::from([(CONTEXT_KEY.to_owned(), label)]);
    let failed = |action: &'static str, code: Option<String>, reason: String| {
        if code.as_deref() == Some("InvalidCiphertextException") {
            return RootKeyError::WrongRootKey;
        }
        RootKeyError::Kms {
            key: key_id.to_owned(),
            action,
            reason: match code.as_deref() {
                Some("DisabledException") => format!("the key is disabled ({reason})"),
                Some("KMSInvalidStateException") => {
                    format!(
                        "the key is not usable in its state, such as pending deletion ({reason})"
                    )
                }
                Some("NotFoundException") => format!("there is no such key ({reason})"),
                Some(code) if code.starts_with("AccessDenied") => {
                    format!(
                        "access denied ({reason}); allow kms:Encrypt, kms:Decrypt and kms:DescribeKey on it"
                    )
                }
                Some(code) => format!("{code}: {reason}"),
                None => reason,
            },
        }
    };
    match call {
        Call::Describe => {
            let output = client
                .describe_key()
                .key_id(key_id)
                .send()
                .await
                .map_err(|e| {
                    let (code, reason) = describe(&e);
                    failed("be described", code, reason)
                })?;
            let metadata = output.key_metadata();
            let spec = metadata
                .and_then(|m| m.key_spec())
                .map(|s| s.as_str().to_owned());
            let usage = metadata
                .and_then(|m| m.key_usage())
                .map(|u| u.as_str().to_owned());
            if spec.as_deref().is_some_and(|s| s != "SYMMETRIC_DEFAULT")
                || usage.as_deref().is_some_and(|u| u != "ENCRYPT_DECRYPT")
            {
                return Err(RootKeyError::Kms {
                    key: key_id.to_owned(),
                    action: "serve as a root key",
                    reason: format!(
                        "it is a {} key for {}; a root key must be a symmetric encryption key \
                         (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)",
                        spec.unwrap_or_default(),
                        usage.unwrap_or_default()
                    ),
                });
            }
            metadata
                .and_then(|m| m.arn())
                .map(|arn| arn.as_bytes().to_vec())
                .ok_or_else(|| failed("be described", None, "KMS gave no key ARN".into()))
        }
        Call::Encrypt { label, secret } => {
            let output = client
                .encrypt()
                .key_id(key_id)
                .plaintext(Blob::new(secret.to_vec()))
                .set_encryption_context(Some(context(label)))
                .send()
                .await
                .map_err(|e| {
                    let (code, reason) = describe(&e);
                    failed("wrap a secret", code, reason)
                })?;
            output
                .ciphertext_blob()
                .map(|blob| blob.as_ref().to_vec())
                .ok_or_else(|| failed("wrap a secret", None, "KMS gave no ciphertext".into()))
        }
        Call::Decrypt { label, wrapped } => {
            // The key is named, so KMS refuses a ciphertext of any other key rather than
            // decrypting it under whatever key it names.
            let output = client
                .decrypt()
                .key_id(key_id)
                .ciphertext_blob(Blob::new(wrapped))
                .set_encryption_context(Some(context(label)))
                .send()
                .await
                .map_err(|e| {
                    let (code, reason) = describe(&e);
                    failed("unwrap a secret", code, reason)
                })?;
            output
                .plaintext()
                .map(|blob| blob.as_ref().to_vec())
                .ok_or_else(|| failed("unwrap a secret", None, "KMS gave no plaintext".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::arn_region;

    #[test]
    fn the_region_comes_from_a_key_arn_only() {
        assert_eq!(
            arn_region("arn:aws:kms:eu-west-3:123456789012:key/abc").as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(arn_region("alias/phiguard"), None);
        assert_eq!(arn_region("1234abcd-12ab-34cd-56ef-1234567890ab"), None);
    }
}
