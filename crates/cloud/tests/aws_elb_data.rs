//! ELBv2, ACM, DynamoDB, EFS and CloudWatch Logs read from a real AWS API emulator.
