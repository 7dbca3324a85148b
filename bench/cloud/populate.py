"""Populates one emulated AWS account (moto in server mode) for phiguard's cloud benchmark.

Run by `phiguard-bench-cloud` with the moto venv's Python (which has boto3), as
`python populate.py ENDPOINT REGION...`. Every resource is made deterministically, about half
compliant and half not, so that both tools have something to pass and something to fail on
every check they share. Prints one JSON object: how many resources of each kind were made, and
in which region, and any call the emulator refused (a service it lacks is reported, not fatal).

Untimed: the benchmark times the checks, not this.
"""

import io
import json
import sys
import zipfile

import boto3
from botocore.config import Config

ENDPOINT = sys.argv[1]
REGIONS = sys.argv[2:]
ACCOUNT = "123456789012"
CONFIG = Config(retries={"max_attempts": 2})

made = {}
refused = []


def client(service, region):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CONFIG,
    )


def count(kind, region, n=1):
    key = f"{kind} ({region})"
    made[key] = made.get(key, 0) + n


def attempt(what, fn):
    """Runs one call; a refusal is recorded, not raised, so one missing API costs one line."""
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - any refusal is reported the same way
        refused.append(f"{what}: {type(error).__name__}: {str(error)[:160]}")
        return None


def tls_only_policy(bucket):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyPlainHttp",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def public_read_policy(bucket):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def s3(region, index):
    """30 buckets a region: encryption (SSE-S3, SSE-KMS, none), versioning, access logging,
    public access blocks, TLS-only and public policies, object lock, in rotating combinations."""
    s3 = client("s3", region)
    short = {"us-east-1": "use1", "eu-west-1": "euw1", "ap-southeast-2": "apse2"}[region]
    log_bucket = f"bench-logs-{short}"
    create = {"Bucket": log_bucket}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_bucket_acl(Bucket=log_bucket, ACL="log-delivery-write")
    count("s3 bucket", region)
    for i in range(29):
        name = f"bench-{short}-{i:02d}"
        create = {"Bucket": name}
        if region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if i % 10 == 9:
            create["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**create)
        count("s3 bucket", region)
        if i % 3 == 0:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
        elif i % 3 == 1:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": f"arn:aws:kms:{region}:{ACCOUNT}:alias/aws/s3",
                            }
                        }
                    ]
                },
            )
        if i % 2 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        elif i % 4 == 1:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        if i % 4 in (0, 3):
            s3.put_bucket_logging(
                Bucket=name,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": log_bucket, "TargetPrefix": f"{name}/"}
                },
            )
        if i % 5 != 4:
            on = i % 5 != 3
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": on,
                    "RestrictPublicBuckets": on,
                },
            )
        if i % 6 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=tls_only_policy(name))
        elif i % 7 == 4:
            s3.put_bucket_policy(Bucket=name, Policy=public_read_policy(name))
        if i % 8 == 0:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "phi", "Value": "true"}]})


def ec2(region, index):
    """VPCs with and without flow logs; security groups open and closed on 22, 3389 and 5432;
    a network ACL open to SSH; encrypted and plain EBS volumes; snapshots, some public."""
    ec2 = client("ec2", region)
    logs_role = f"arn:aws:iam::{ACCOUNT}:role/flow-logs"
    vpcs = []
    for i in range(3):
        vpc = ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"]
        vpcs.append(vpc)
        count("vpc", region)
        if i != 1:
            attempt(
                f"ec2 create_flow_logs {region}",
                lambda vpc=vpc: ec2.create_flow_logs(
                    ResourceIds=[vpc],
                    ResourceType="VPC",
                    TrafficType="ALL",
                    LogDestinationType="cloud-watch-logs",
                    LogGroupName=f"/vpc/{vpc}",
                    DeliverLogsPermissionArn=logs_role,
                ),
            )
    for i in range(12):
        group = ec2.create_security_group(
            GroupName=f"bench-sg-{i:02d}", Description="benchmark", VpcId=vpcs[i % 3]
        )["GroupId"]
        count("security group", region)
        port = (22, 3389, 5432, 443)[i % 4]
        open_to_world = i % 3 != 2
        cidr = "0.0.0.0/0" if open_to_world else "10.0.0.0/8"
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}
            ],
        )
    acl = ec2.create_network_acl(VpcId=vpcs[0])["NetworkAcl"]["NetworkAclId"]
    count("network acl", region)
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )
    zone = f"{region}a"
    volumes = []
    for i in range(15):
        tags = [{"ResourceType": "volume", "Tags": [{"Key": "phi", "Value": "true"}]}] if i % 5 == 0 else []
        volume = ec2.create_volume(
            AvailabilityZone=zone, Size=8, Encrypted=i % 2 == 0, TagSpecifications=tags
        )["VolumeId"]
        volumes.append(volume)
        count("ebs volume", region)
    for i in range(6):
        snapshot = ec2.create_snapshot(VolumeId=volumes[i], Description="benchmark")["SnapshotId"]
        count("ebs snapshot", region)
        if i % 3 == 1:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot,
                Attribute="createVolumePermission",
                OperationType="add",
                GroupNames=["all"],
            )
    if index == 0:
        ec2.enable_ebs_encryption_by_default()


def rds(region, index):
    """Four instances a region: encrypted or not, public or not, Multi-AZ or not, backups kept
    for 0, 1 or 7 days; a parameter group that forces TLS for half of them."""
    rds = client("rds", region)
    rds.create_db_parameter_group(
        DBParameterGroupName="bench-tls", DBParameterGroupFamily="postgres16", Description="tls"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="bench-tls",
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    for i in range(4):
        args = {
            "DBInstanceIdentifier": f"bench-db-{i}",
            "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres",
            "EngineVersion": "16.3",
            "MasterUsername": "admin1",
            "MasterUserPassword": "password123",
            "AllocatedStorage": 20,
            "StorageEncrypted": i % 2 == 0,
            "PubliclyAccessible": i == 3,
            "MultiAZ": i % 2 == 0,
            "BackupRetentionPeriod": (7, 1, 0, 7)[i],
            "AutoMinorVersionUpgrade": i != 1,
            "DeletionProtection": i == 0,
            "Tags": [{"Key": "phi", "Value": "true"}] if i == 0 else [],
        }
        if i % 2 == 0:
            args["DBParameterGroupName"] = "bench-tls"
        rds.create_db_instance(**args)
        count("rds instance", region)
    snapshot = rds.create_db_snapshot(
        DBInstanceIdentifier="bench-db-1", DBSnapshotIdentifier="bench-db-1-snap"
    )
    count("rds snapshot", region)
    if snapshot:
        attempt(
            f"rds modify_db_snapshot_attribute {region}",
            lambda: rds.modify_db_snapshot_attribute(
                DBSnapshotIdentifier="bench-db-1-snap",
                AttributeName="restore",
                ValuesToAdd=["all"],
            ),
        )


def iam():
    """45 users: console users with and without MFA, access keys, an administrator; and a
    password policy weaker than HIPAA guidance asks for."""
    iam = client("iam", "us-east-1")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    for i in range(45):
        user = f"bench-user-{i:02d}"
        iam.create_user(UserName=user)
        count("iam user", "global")
        if i % 3 != 2:
            iam.create_login_profile(UserName=user, Password="Passw0rd!Passw0rd!")
            if i % 3 == 0:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)[
                    "VirtualMFADevice"
                ]["SerialNumber"]
                iam.enable_mfa_device(
                    UserName=user,
                    SerialNumber=serial,
                    AuthenticationCode1="123456",
                    AuthenticationCode2="654321",
                )
        if i % 4 == 0:
            iam.create_access_key(UserName=user)
        if i % 15 == 7:
            iam.attach_user_policy(UserName=user, PolicyArn=admin)
    for i in range(3):
        iam.create_role(
            RoleName=f"bench-role-{i}",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )
        count("iam role", "global")
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=False,
        MaxPasswordAge=90,
        PasswordReusePrevention=5,
    )


def kms(region, index):
    """Six customer keys a region, rotation on for half; one disabled."""
    kms = client("kms", region)
    for i in range(6):
        key = kms.create_key(Description=f"bench key {i}")["KeyMetadata"]["KeyId"]
        count("kms key", region)
        if i % 2 == 0:
            kms.enable_key_rotation(KeyId=key)
        if i == 5:
            kms.disable_key(KeyId=key)


def cloudtrail(region, index):
    """A multi-region trail with validation, KMS and CloudWatch Logs in the first region; a
    single-region trail with none of them in the second."""
    if index > 1:
        return
    trail = client("cloudtrail", region)
    s3 = client("s3", "us-east-1")
    bucket = f"bench-trail-{index}"
    s3.create_bucket(Bucket=bucket)
    count("s3 bucket", "us-east-1")
    if index == 0:
        key = client("kms", region).create_key(Description="trail")["KeyMetadata"]["Arn"]
        count("kms key", region)
        group = client("logs", region).create_log_group(logGroupName="bench-trail")
        count("log group", region)
        trail.create_trail(
            Name="bench-trail-all",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            EnableLogFileValidation=True,
            KmsKeyId=key,
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:bench-trail:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/bench-role-0",
        )
        trail.put_event_selectors(
            TrailName="bench-trail-all",
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ],
        )
        trail.start_logging(Name="bench-trail-all")
    else:
        trail.create_trail(Name="bench-trail-local", S3BucketName=bucket)
        trail.start_logging(Name="bench-trail-local")
    count("cloudtrail trail", region)


def acm_elb(region, index):
    """Two ACM certificates (one imported, one requested); two load balancers, one with an
    HTTP listener that forwards, one with HTTPS only."""
    acm = client("acm", region)
    requested = acm.request_certificate(DomainName=f"bench-{region}.example.com")["CertificateArn"]
    count("acm certificate", region)
    acm.request_certificate(DomainName=f"old-{region}.example.com")
    count("acm certificate", region)
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    count("vpc", region)
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{region}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    elb = client("elbv2", region)
    group = elb.create_target_group(Name="bench-tg", Protocol="HTTP", Port=80, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    for i in range(2):
        lb = elb.create_load_balancer(Name=f"bench-lb-{i}", Subnets=subnets, Scheme="internet-facing")[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        count("load balancer", region)
        if i == 0:
            elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
        else:
            elb.create_listener(
                LoadBalancerArn=lb,
                Protocol="HTTPS",
                Port=443,
                SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                Certificates=[{"CertificateArn": requested}],
                DefaultActions=forward,
            )
            elb.modify_load_balancer_attributes(
                LoadBalancerArn=lb,
                Attributes=[
                    {"Key": "access_logs.s3.enabled", "Value": "true"},
                    {"Key": "access_logs.s3.bucket", "Value": "bench-logs"},
                ],
            )


def data_services(region, index):
    """DynamoDB tables with and without PITR and a customer key; EFS file systems encrypted or
    not; log groups with and without retention and a key; SNS topics and SQS queues with and
    without encryption; secrets with and without rotation."""
    ddb = client("dynamodb", region)
    for i in range(4):
        args = {
            "TableName": f"bench-table-{i}",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if i % 2 == 0:
            args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
        ddb.create_table(**args)
        count("dynamodb table", region)
        if i < 2:
            ddb.update_continuous_backups(
                TableName=f"bench-table-{i}",
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
    efs = client("efs", region)
    for i in range(3):
        efs.create_file_system(CreationToken=f"bench-efs-{i}", Encrypted=i != 1)
        count("efs file system", region)
    logs = client("logs", region)
    key = client("kms", region).create_key(Description="logs")["KeyMetadata"]["Arn"]
    count("kms key", region)
    for i in range(6):
        name = f"/bench/app-{i}"
        args = {"logGroupName": name}
        if i % 3 == 0:
            args["kmsKeyId"] = key
        logs.create_log_group(**args)
        count("log group", region)
        if i % 2 == 0:
            logs.put_retention_policy(logGroupName=name, retentionInDays=(365, 2192, 30)[i // 2])
    sns = client("sns", region)
    for i in range(4):
        attributes = {"KmsMasterKeyId": "alias/aws/sns"} if i % 2 == 0 else {}
        sns.create_topic(Name=f"bench-topic-{i}", Attributes=attributes)
        count("sns topic", region)
    sqs = client("sqs", region)
    for i in range(4):
        attributes = {}
        if i == 0:
            attributes = {"KmsMasterKeyId": "alias/aws/sqs"}
        elif i == 1:
            attributes = {"SqsManagedSseEnabled": "true"}
        elif i == 2:
            attributes = {"SqsManagedSseEnabled": "false"}
        sqs.create_queue(QueueName=f"bench-queue-{i}", Attributes=attributes)
        count("sqs queue", region)
    secrets = client("secretsmanager", region)
    for i in range(3):
        arn = secrets.create_secret(Name=f"bench-secret-{i}", SecretString="s3cr3t")["ARN"]
        count("secret", region)
        if i == 0:
            attempt(
                f"secretsmanager rotate_secret {region}",
                lambda arn=arn: secrets.rotate_secret(
                    SecretId=arn,
                    RotationLambdaARN=f"arn:aws:lambda:{region}:{ACCOUNT}:function:bench-fn-2",
                    RotationRules={"AutomaticallyAfterDays": 30},
                ),
            )


def detectors(region, index):
    """GuardDuty in the first two regions, AWS Config recording in the first, Security Hub in
    the first."""
    if index < 2:
        client("guardduty", region).create_detector(Enable=True)
        count("guardduty detector", region)
    if index == 0:
        config = client("config", region)
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::{ACCOUNT}:role/bench-role-1",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        config.put_delivery_channel(
            DeliveryChannel={"name": "default", "s3BucketName": "bench-trail-0"}
        )
        config.start_configuration_recorder(ConfigurationRecorderName="default")
        count("config recorder", region)
        client("securityhub", region).enable_security_hub()
        count("security hub", region)


def lambdas(region, index):
    """Three functions a region: one with a public function URL, one with a resource policy
    that lets anyone invoke it, one private."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 'ok'\n")
    lam = client("lambda", region)
    for i in range(3):
        name = f"bench-fn-{i}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=f"arn:aws:iam::{ACCOUNT}:role/bench-role-{i}",
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )
        count("lambda function", region)
        if i == 0:
            lam.create_function_url_config(FunctionName=name, AuthType="NONE")
            lam.add_permission(
                FunctionName=name,
                StatementId="url",
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
            )
        elif i == 1:
            lam.add_permission(
                FunctionName=name, StatementId="anyone", Action="lambda:InvokeFunction", Principal="*"
            )


iam()
for index, region in enumerate(REGIONS):
    for populate in (s3, ec2, rds, kms, cloudtrail, acm_elb, lambdas, data_services, detectors):
        attempt(f"{populate.__name__} {region}", lambda: populate(region, index))

print(json.dumps({"made": made, "total": sum(made.values()), "refused": refused}, indent=1))
