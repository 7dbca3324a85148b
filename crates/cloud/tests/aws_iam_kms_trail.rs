//! IAM, KMS and CloudTrail read from moto (being written).
