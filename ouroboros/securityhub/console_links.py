"""Links into the AWS Management Console for a finding and its resource (pure functions).

Every link is partition- and region-aware: the partition comes from the resource's ARN when it
has one, else from the region (``cn-*``: ``aws-cn``, ``us-gov-*``: ``aws-us-gov``, else ``aws``),
and picks the console host:

=============  ==========================================  ==================================
partition      console host                                region
=============  ==========================================  ==================================
``aws``        ``https://<region>.console.aws.amazon.com``  in the host and ``?region=``
``aws-cn``     ``https://console.amazonaws.cn``             ``?region=``
``aws-us-gov`` ``https://console.amazonaws-us-gov.com``     ``?region=``
=============  ==========================================  ==================================

- `finding_console_url`: the finding in the Security Hub console (the findings page filtered on
  ``Id EQUALS <id>``, the deep link Security Hub's own "copy link" gives; the search value is
  URL-encoded twice, as the console expects it).
- `resource_console_url`: the resource's own page for the ASFF resource types the official
  reactors fix (`RESOURCE_PAGES`); any other ARN falls back to the console's ARN lookup
  (``/go/view?arn=``), and a resource id that is no ARN (``AWS::::Account:...``) has no link.

Values are URL-quoted here; templates escape the result like any other text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

PARTITION_HOSTS = {
    "aws": "https://{region}.console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}
#: Where a region-less global page (IAM, CloudFront) is served, per partition.
GLOBAL_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


def partition_of(*, region: str | None = None, arn: str | None = None) -> str:
    """The partition of ``arn`` (when it is one of a known partition), else of ``region``."""
    if arn and arn.startswith("arn:"):
        partition = arn.split(":", 2)[1]
        if partition in PARTITION_HOSTS:
            return partition
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def console_base(*, partition: str, region: str | None) -> str:
    """The console host of ``partition`` (with ``region`` in it for the commercial one)."""
    region = region or GLOBAL_REGIONS.get(partition, "us-east-1")
    template = PARTITION_HOSTS.get(partition, PARTITION_HOSTS["aws"])
    return template.format(region=quote(region, safe=""))


def _q(value: str) -> str:
    return quote(value, safe="")


def finding_console_url(*, finding_id: str, region: str | None) -> str | None:
    """The finding's page in the Security Hub console of ``region``; None without an id."""
    if not finding_id:
        return None
    partition = partition_of(region=region, arn=finding_id)
    region = region or GLOBAL_REGIONS[partition]
    search = _q("Id=" + _q("\\operator\\:EQUALS\\:" + finding_id))
    base = console_base(partition=partition, region=region)
    return f"{base}/securityhub/home?region={_q(region)}#/findings?search={search}"


@dataclass(frozen=True)
class _Arn:
    """The parts of an ARN a console page needs: ``resource`` is what follows the account."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def name(self) -> str:
        """The last path part of the resource (``bucket``, ``role/x`` -> ``x``, ``db:x`` -> x)."""
        return self.resource.replace(":", "/").rsplit("/", 1)[-1]


def _arn(text: str) -> _Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        return None
    return _Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


Page = Callable[[_Arn, str], str]


def _apigateway_stage(a: _Arn, r: str) -> str:
    # arn:aws:apigateway:<region>::/restapis/<api id>/stages/<stage>
    pieces = a.resource.strip("/").split("/")
    if len(pieces) >= 4 and pieces[0] == "restapis" and pieces[2] == "stages":
        return f"apigateway/home?region={r}#/apis/{_q(pieces[1])}/stages/{_q(pieces[3])}"
    return f"apigateway/home?region={r}"


def _sqs_queue(a: _Arn, r: str) -> str:
    url = f"https://sqs.{a.region}.amazonaws.com/{a.account}/{a.name}"
    return f"sqs/v3/home?region={r}#/queues/{_q(url)}"


def _lambda_function(a: _Arn, r: str) -> str:
    # function:<name>[:<qualifier>]: the page is the function's, whatever the qualifier
    name = a.resource.split(":")[1] if ":" in a.resource else a.name
    return f"lambda/home?region={r}#/functions/{_q(name)}"


#: ASFF ``Resources[].Type`` -> the path (after the console host) of its page. Covers the types
#: the official reactors (lambdas/reactors) remediate; account-level controls have no page.
RESOURCE_PAGES: dict[str, Page] = {
    "AwsApiGatewayStage": _apigateway_stage,
    "AwsAutoScalingAutoScalingGroup": lambda a, r: (
        f"ec2/home?region={r}#AutoScalingGroupDetails:id={_q(a.name)}"
    ),
    "AwsCloudFrontDistribution": lambda a, r: f"cloudfront/v4/home#/distributions/{_q(a.name)}",
    "AwsCloudTrailTrail": lambda a, r: f"cloudtrail/home?region={r}#/trails/{_q(_arn_text(a))}",
    "AwsDynamoDbTable": lambda a, r: f"dynamodbv2/home?region={r}#table?name={_q(a.name)}",
    "AwsEc2Instance": lambda a, r: f"ec2/home?region={r}#InstanceDetails:instanceId={_q(a.name)}",
    "AwsEc2SecurityGroup": lambda a, r: f"ec2/home?region={r}#SecurityGroup:groupId={_q(a.name)}",
    "AwsEc2Snapshot": lambda a, r: f"ec2/home?region={r}#SnapshotDetails:snapshotId={_q(a.name)}",
    "AwsEc2Subnet": lambda a, r: f"vpc/home?region={r}#SubnetDetails:subnetId={_q(a.name)}",
    "AwsEc2Vpc": lambda a, r: f"vpc/home?region={r}#VpcDetails:VpcId={_q(a.name)}",
    "AwsEcrRepository": lambda a, r: (
        f"ecr/repositories/private/{_q(a.account)}/{_q(a.resource.split('/', 1)[-1])}?region={r}"
    ),
    "AwsEksCluster": lambda a, r: f"eks/home?region={r}#/clusters/{_q(a.name)}",
    "AwsElasticacheCacheCluster": lambda a, r: f"elasticache/home?region={r}#/redis/{_q(a.name)}",
    "AwsElbLoadBalancer": lambda a, r: (
        f"ec2/home?region={r}#LoadBalancer:loadBalancerName={_q(a.name)}"
    ),
    "AwsElbv2LoadBalancer": lambda a, r: (
        f"ec2/home?region={r}#LoadBalancer:loadBalancerArn={_q(_arn_text(a))}"
    ),
    "AwsIamAccessKey": lambda a, r: (
        f"iam/home#/users/details/{_q(a.name)}?section=security_credentials"
    ),
    "AwsIamUser": lambda a, r: f"iam/home#/users/details/{_q(a.name)}",
    "AwsKmsKey": lambda a, r: f"kms/home?region={r}#/kms/keys/{_q(a.name)}",
    "AwsLambdaFunction": _lambda_function,
    "AwsRdsDbInstance": lambda a, r: f"rds/home?region={r}#database:id={_q(a.name)}",
    "AwsRdsDbSnapshot": lambda a, r: f"rds/home?region={r}#db-snapshot:id={_q(a.name)}",
    "AwsRdsDbClusterSnapshot": lambda a, r: (
        f"rds/home?region={r}#db-snapshot:engine=aurora;id={_q(a.name)}"
    ),
    "AwsRedshiftCluster": lambda a, r: (
        f"redshiftv2/home?region={r}#cluster-details?cluster={_q(a.name)}"
    ),
    "AwsS3Bucket": lambda a, r: f"s3/buckets/{_q(a.resource.split('/', 1)[0])}?region={r}",
    "AwsSnsTopic": lambda a, r: f"sns/v3/home?region={r}#/topic/{_q(_arn_text(a))}",
    "AwsSqsQueue": _sqs_queue,
    "AwsSsmDocument": lambda a, r: f"systems-manager/documents/{_q(a.name)}/description?region={r}",
}
#: Resource types whose pages are global (no region of their own in the ARN or the console).
_GLOBAL_TYPES = frozenset({"AwsCloudFrontDistribution", "AwsIamAccessKey", "AwsIamUser"})


def _arn_text(a: _Arn) -> str:
    return f"arn:{a.partition}:{a.service}:{a.region}:{a.account}:{a.resource}"


def resource_console_url(
    *, resource_type: str | None, resource_id: str | None, region: str | None
) -> str | None:
    """The resource's page in the console (see the module docstring); None when it has none."""
    arn = _arn(resource_id or "")
    if arn is None:
        return None
    partition = partition_of(region=region, arn=resource_id)
    if resource_type in _GLOBAL_TYPES:
        region = GLOBAL_REGIONS[partition]
    else:
        region = arn.region or region or GLOBAL_REGIONS[partition]
    base = console_base(partition=partition, region=region)
    page = RESOURCE_PAGES.get(resource_type or "")
    if page is None:
        return f"{base}/go/view?arn={_q(resource_id or '')}"
    return f"{base}/{page(arn, _q(region))}"
