//! EC2 and RDS read from moto (being written).
