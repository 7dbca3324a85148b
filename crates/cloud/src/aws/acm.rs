//! ACM of one region: every certificate, of every key type, with its expiry and what uses it.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_acm::types::{Filters, KeyAlgorithm};
use tokio::sync::Semaphore;

use super::ScanOptions;
use super::calls::{gap, region_of, seen, unseen};
use super::iam::timestamp;
use crate::inventory::{Certificate, CertificateDetails, Inventory, Resource};

/// Certificates read at once: each takes two calls.
const CONCURRENT_CERTIFICATES: usize = 8;

pub(super) async fn read(
    config: &SdkConfig,
    options: &ScanOptions,
    account: &str,
    region: Option<&str>,
    inventory: &mut Inventory,
) {
    let _ = account; // ACM returns every ARN itself.
    let region = region_of(config, region);
    let acm = aws_sdk_acm::Client::new(config);
    // Without a filter ListCertificates answers only RSA-1024 and RSA-2048 certificates: an
    // ECDSA or RSA-4096 certificate would never be judged.
    let every_key_type = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|k| KeyAlgorithm::from(*k))
                .collect(),
        ))
        .build();
    let listed = match acm
        .list_certificates()
        .includes(every_key_type)
        // ACM takes between 1 and 1000 items a page.
        .set_max_items(options.page_size.map(|n| n.clamp(1, 1000)))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(listed) => listed,
        Err(error) => {
            let seen = unseen::<(), _, _>("acm:ListCertificates", &error);
            inventory.gaps.push(gap("acm", Some(&region), seen));
            return;
        }
    };

    let limit = Arc::new(Semaphore::new(CONCURRENT_CERTIFICATES));
    let mut tasks = tokio::task::JoinSet::new();
    for summary in listed {
        let Some(arn) = summary.certificate_arn().map(str::to_owned) else {
            continue;
        };
        let domain = summary.domain_name().unwrap_or_default().to_owned();
        let acm = acm.clone();
        let limit = Arc::clone(&limit);
        let region = region.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            certificate(&acm, arn, domain, region).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok(certificate) = joined {
            inventory.acm.certificates.push(certificate);
        }
    }
}

async fn certificate(
    acm: &aws_sdk_acm::Client,
    arn: String,
    domain: String,
    region: String,
) -> Certificate {
    let (described, tags) = tokio::join!(
        acm.describe_certificate().certificate_arn(&arn).send(),
        acm.list_tags_for_certificate().certificate_arn(&arn).send(),
    );
    let tags = match tags {
        Ok(output) => output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect(),
        Err(_) => Default::default(),
    };
    let details = seen("acm:DescribeCertificate", described).map(|output| {
        let detail = output.certificate();
        CertificateDetails {
            status: detail
                .and_then(|d| d.status())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            kind: detail
                .and_then(|d| d.r#type())
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            not_after: detail.and_then(|d| d.not_after()).map(timestamp),
            in_use_by: detail.map(|d| d.in_use_by().to_vec()).unwrap_or_default(),
        }
    });
    Certificate {
        resource: Resource {
            id: domain.clone(),
            arn,
            region: Some(region),
            tags,
        },
        domain,
        details,
    }
}
