"""Links into the AWS console (`ouroboros.securityhub.console_links`): a table per partition,
region and resource type, the Security Hub deep link, and the ARN fallback."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from ouroboros.securityhub.console_links import (
    RESOURCE_PAGES,
    finding_console_url,
    partition_of,
    resource_console_url,
)

ACCOUNT = "111122223333"
USE1 = "https://us-east-1.console.aws.amazon.com"
EUW1 = "https://eu-west-1.console.aws.amazon.com"
CN = "https://console.amazonaws.cn"
GOV = "https://console.amazonaws-us-gov.com"


@pytest.mark.parametrize(
    ("region", "arn", "partition"),
    [
        ("us-east-1", None, "aws"),
        ("cn-north-1", None, "aws-cn"),
        ("cn-northwest-1", None, "aws-cn"),
        ("us-gov-west-1", None, "aws-us-gov"),
        (None, None, "aws"),
        ("us-east-1", "arn:aws-cn:s3:::bucket", "aws-cn"),  # the ARN wins
        ("us-east-1", "arn:aws-eusc:s3:::bucket", "aws"),  # an unknown partition: the region's
    ],
)
def test_partition_of(region: str | None, arn: str | None, partition: str) -> None:
    assert partition_of(region=region, arn=arn) == partition


RESOURCES = [
    # (type, id, finding region, expected URL)
    (
        "AwsS3Bucket",
        "arn:aws:s3:::my-bucket",
        "eu-west-1",
        f"{EUW1}/s3/buckets/my-bucket?region=eu-west-1",
    ),
    (
        "AwsS3Bucket",
        "arn:aws-cn:s3:::cn-bucket",
        "cn-north-1",
        f"{CN}/s3/buckets/cn-bucket?region=cn-north-1",
    ),
    (
        "AwsEc2SecurityGroup",
        f"arn:aws-us-gov:ec2:us-gov-west-1:{ACCOUNT}:security-group/sg-0abc",
        "us-gov-west-1",
        f"{GOV}/ec2/home?region=us-gov-west-1#SecurityGroup:groupId=sg-0abc",
    ),
    (
        "AwsEc2Instance",
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123",
        "us-east-1",
        f"{USE1}/ec2/home?region=us-east-1#InstanceDetails:instanceId=i-0123",
    ),
    (
        "AwsRdsDbInstance",
        f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:orders",
        "us-east-1",  # an aggregated finding: the resource's own region counts
        f"{EUW1}/rds/home?region=eu-west-1#database:id=orders",
    ),
    (
        "AwsLambdaFunction",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn:live",
        "us-east-1",
        f"{USE1}/lambda/home?region=us-east-1#/functions/fn",
    ),
    (
        "AwsIamUser",
        f"arn:aws:iam::{ACCOUNT}:user/team/alice",
        "eu-west-1",
        f"{USE1}/iam/home#/users/details/alice",
    ),
    (
        "AwsKmsKey",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab",
        "us-east-1",
        f"{USE1}/kms/home?region=us-east-1#/kms/keys/1234abcd-12ab",
    ),
    (
        "AwsSnsTopic",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts",
        "us-east-1",
        f"{USE1}/sns/v3/home?region=us-east-1#/topic/arn%3Aaws%3Asns%3Aus-east-1%3A{ACCOUNT}%3Aalerts",
    ),
    (
        "AwsSqsQueue",
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs",
        "us-east-1",
        f"{USE1}/sqs/v3/home?region=us-east-1#/queues/"
        f"https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F{ACCOUNT}%2Fjobs",
    ),
    (
        "AwsApiGatewayStage",
        "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/prod",
        "us-east-1",
        f"{USE1}/apigateway/home?region=us-east-1#/apis/a1b2c3/stages/prod",
    ),
    (
        "AwsCloudFrontDistribution",
        f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2ABC",
        "eu-west-1",
        f"{USE1}/cloudfront/v4/home#/distributions/E2ABC",
    ),
    (
        "AwsDynamoDbTable",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        "us-east-1",
        f"{USE1}/dynamodbv2/home?region=us-east-1#table?name=orders",
    ),
    # Any other ARN: the console's ARN lookup, in the resource's partition.
    (
        "AwsCodeBuildProject",
        f"arn:aws-cn:codebuild:cn-north-1:{ACCOUNT}:project/build",
        "cn-north-1",
        f"{CN}/go/view?arn=arn%3Aaws-cn%3Acodebuild%3Acn-north-1%3A{ACCOUNT}%3Aproject%2Fbuild",
    ),
    # No ARN, no link (an account-level control).
    ("AwsAccount", f"AWS::::Account:{ACCOUNT}", "us-east-1", None),
    ("AwsS3Bucket", None, "us-east-1", None),
]


@pytest.mark.parametrize(("resource_type", "resource_id", "region", "url"), RESOURCES)
def test_resource_console_url(
    resource_type: str, resource_id: str | None, region: str, url: str | None
) -> None:
    assert (
        resource_console_url(resource_type=resource_type, resource_id=resource_id, region=region)
        == url
    )


@pytest.mark.parametrize("resource_type", sorted(RESOURCE_PAGES))
@pytest.mark.parametrize(
    ("partition", "region", "host"),
    [
        ("aws", "us-east-1", USE1),
        ("aws-cn", "cn-north-1", CN),
        ("aws-us-gov", "us-gov-west-1", GOV),
    ],
)
def test_every_resource_page_is_on_the_console_host_of_its_partition(
    resource_type: str, partition: str, region: str, host: str
) -> None:
    arn = f"arn:{partition}:svc:{region}:{ACCOUNT}:thing/name"
    url = resource_console_url(resource_type=resource_type, resource_id=arn, region=region)
    assert url is not None and url.startswith(f"{host}/") and "/go/view" not in url


@pytest.mark.parametrize(
    ("partition", "region", "host"),
    [
        ("aws", "eu-west-1", EUW1),
        ("aws-cn", "cn-north-1", CN),
        ("aws-us-gov", "us-gov-east-1", GOV),
    ],
)
def test_finding_console_url_searches_the_finding_by_id(
    partition: str, region: str, host: str
) -> None:
    finding_id = (
        f"arn:{partition}:securityhub:{region}:{ACCOUNT}:subscription/x/v/1.0.0/S3.1/finding/a b"
    )
    url = finding_console_url(finding_id=finding_id, region=region)
    assert url is not None
    assert url.startswith(f"{host}/securityhub/home?region={region}#/findings?search=")
    search = url.split("search=", 1)[1]
    # Encoded twice, as the Security Hub console writes it: once more than its value.
    assert unquote(unquote(search)) == f"Id=\\operator\\:EQUALS\\:{finding_id}"
    assert " " not in url and "/" not in search
    assert finding_console_url(finding_id="", region=region) is None
