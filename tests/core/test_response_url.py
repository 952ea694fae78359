"""The response allow-list: CloudFormation's response bucket in every S3 endpoint form of the
function's own partition (botocore's endpoint data), and nothing else."""

import re
from typing import Any

import botocore.loaders
import botocore.regions
import pytest
from botocore.exceptions import UnknownRegionError

from provider import responder
from provider.response_url import DNS_SUFFIXES, MAX_URL_LENGTH, PARTITIONS, allowed, partition

KEY = "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack%2Fs%2Fg%7CSet%7Cr"
QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123"


def endpoint_data() -> Any:
    """botocore's botocore/data/endpoints.json, as the installed botocore has it."""
    return botocore.loaders.create_loader().load_data("endpoints")


def partitions() -> list[tuple[str, str]]:
    """(Region, DNS suffix) of every Region of every partition botocore knows."""
    data = endpoint_data()
    return [
        (region, partition["dnsSuffix"])
        for partition in data["partitions"]
        for region in partition["regions"]
    ]


def forms(region: str, suffix: str) -> list[str]:
    """Every S3 endpoint form a response URL for ``region``'s bucket can take."""
    bucket = "cloudformation-custom-resource-response-" + region.replace("-", "")
    endpoints = [
        f"s3.{region}.{suffix}",
        f"s3-{region}.{suffix}",
        f"s3.dualstack.{region}.{suffix}",
        f"s3-fips.{region}.{suffix}",
        f"s3-fips.dualstack.{region}.{suffix}",
    ]
    virtual = [f"https://{bucket}.{endpoint}/{KEY}?{QUERY}" for endpoint in endpoints]
    path = [f"https://{endpoint}/{bucket}/{KEY}?{QUERY}" for endpoint in endpoints]
    return virtual + path


def test_every_partitions_dns_suffix_is_known() -> None:
    assert {suffix for _, suffix in partitions()} <= set(DNS_SUFFIXES)


@pytest.mark.parametrize(("region", "suffix"), partitions())
def test_the_response_bucket_of_every_region_is_allowed_in_every_endpoint_form(
    region: str, suffix: str
) -> None:
    refused = [url for url in forms(region, suffix) if not allowed(url, region=region)]
    assert refused == []
    assert not any(allowed(url, region="xx-nowhere-1") for url in forms(region, suffix))


@pytest.mark.parametrize(
    "url",
    [
        # the us-east-1 bucket through S3's global endpoints (cfn-response users' reports)
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/{KEY}?{QUERY}",
        f"https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/{KEY}?{QUERY}",
        f"https://cloudformation-custom-resource-response-useast1.s3-external-1.amazonaws.com/{KEY}",
        # the Lambda developer guide's sample event (SigV2 query)
        "https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com/"
        f"{KEY}?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1555451971&Signature=28Ui",
        f"https://CloudFormation-Custom-Resource-Response-UsEast1.S3.AmazonAWS.com:443/{KEY}",
    ],
)
def test_documented_response_urls_are_allowed(url: str) -> None:
    assert allowed(url)


@pytest.mark.parametrize(
    "url",
    [
        # anyone's bucket, virtual-hosted or path-style
        f"https://attacker.s3.us-east-1.amazonaws.com/{KEY}",
        f"https://s3.us-east-1.amazonaws.com/attacker/{KEY}",
        f"https://cloudformation-custom-resource-response-useast1-evil.s3.amazonaws.com/{KEY}",
        f"https://cloudformation-custom-resource-response-.s3.amazonaws.com/{KEY}",
        # a bucket of another Region than its endpoint's
        f"https://cloudformation-custom-resource-response-uswest2.s3.us-east-1.amazonaws.com/{KEY}",
        # access points and Object Lambda
        f"https://ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com/{KEY}",
        "https://cloudformation-custom-resource-response-useast1.s3-accesspoint.us-east-1"
        f".amazonaws.com/{KEY}",
        "https://cloudformation-custom-resource-response-useast1.s3-object-lambda.us-east-1"
        f".amazonaws.com/{KEY}",
        # not S3, not HTTPS, another port, credentials in the URL, look-alike hosts
        f"https://cloudformation-custom-resource-response-useast1.lambda.amazonaws.com/{KEY}",
        f"http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/{KEY}",
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/{KEY}",
        f"https://u:p@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/{KEY}",
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.evil.io/{KEY}",
        "https://s3.amazonaws.com.example.com/cloudformation-custom-resource-response-useast1/k",
        "https://example.com/s3.amazonaws.com/cloudformation-custom-resource-response-useast1/k",
        "https://[::1]:443/k",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:bad/k",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not allowed(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://cloudformation-custom-resource-response-attacker1.s3.amazonaws.com/k",
        "https://s3.amazonaws.com/cloudformation-custom-resource-response-evil1/k",
        "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/k",
    ],
)
def test_on_the_global_endpoint_only_the_functions_own_regions_bucket_is_allowed(
    url: str,
) -> None:
    """A look-alike bucket name carries no Region to check against its endpoint: the
    function's Region (its stack's, whose bucket CloudFormation uses) decides."""
    assert not allowed(url, region="us-east-1")
    assert allowed(
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k",
        region="us-east-1",
    )


def test_an_extra_origin_is_allowed_only_when_configured() -> None:
    url = "http://127.0.0.1:8080/cloudformation-custom-resource-response-useast1/k"
    assert not allowed(url)
    assert allowed(url, ["http://127.0.0.1:8080/"])


def test_a_url_over_the_length_cap_is_refused_whatever_it_holds() -> None:
    host = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
    fits = f"https://{host}/" + "k" * (MAX_URL_LENGTH - len(host) - 9)
    assert len(fits) == MAX_URL_LENGTH and allowed(fits)
    assert not allowed(fits + "k")
    assert not allowed("https://" + "s3." * 64_000 + "amazonaws.com/k")  # refused unread


def test_the_partitions_are_botocores_in_its_order() -> None:
    """The copy in provider/response_url.py (no botocore import at cold start) is the data."""
    assert list(PARTITIONS) == [
        (found["partition"], found["regionRegex"], found["dnsSuffix"])
        for found in endpoint_data()["partitions"]
    ]


def region_names() -> list[str]:
    """Every Region botocore lists, the same with another number (a Region it does not list
    yet, which its patterns place), and names no partition's pattern matches."""
    listed = [region for region, _ in partitions()]
    renumbered = [re.sub(r"\d+$", "9", region) for region in listed]
    return [*listed, *renumbered, "xx-nowhere-1", "cn-north-1\n", "us-east-1x", ""]


def test_each_region_is_in_the_partition_botocore_resolves_it_to() -> None:
    resolver = botocore.regions.EndpointResolver(endpoint_data())

    def botocores(region: str) -> str:
        try:
            return str(resolver.get_partition_for_region(region))
        except UnknownRegionError:
            return "aws"  # what botocore builds clients in for a name it cannot place

    suffixes = {found["partition"]: found["dnsSuffix"] for found in endpoint_data()["partitions"]}
    for region in region_names():
        expected = "aws" if region.endswith("\n") else botocores(region)
        assert partition(region) == (expected, suffixes[expected]), region


CN_BUCKET = "cloudformation-custom-resource-response-cnnorth1"


@pytest.mark.parametrize(
    ("url", "answered"),
    [
        (f"https://{CN_BUCKET}.s3.cn-north-1.amazonaws.com.cn/{KEY}?{QUERY}", True),
        (f"https://s3.cn-north-1.amazonaws.com.cn/{CN_BUCKET}/{KEY}?{QUERY}", True),
        (f"https://{CN_BUCKET}.s3.dualstack.cn-north-1.amazonaws.com.cn/{KEY}", True),
        # the same bucket name under the commercial suffix: anyone's bucket there
        (f"https://{CN_BUCKET}.s3.amazonaws.com/{KEY}?{QUERY}", False),
        (f"https://s3.amazonaws.com/{CN_BUCKET}/{KEY}?{QUERY}", False),
        (f"https://{CN_BUCKET}.s3.cn-north-1.amazonaws.com/{KEY}?{QUERY}", False),
        (f"https://{CN_BUCKET}.s3.amazonaws.com.cn/{KEY}?{QUERY}", False),
    ],
)
def test_a_function_in_china_answers_only_under_its_partitions_suffix(
    url: str, answered: bool
) -> None:
    assert allowed(url, region="cn-north-1") is answered


@pytest.mark.parametrize(
    "url",
    [
        f"https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com.cn/{KEY}",
        f"https://s3.us-east-1.amazonaws.com.cn/cloudformation-custom-resource-response-useast1/{KEY}",
        f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.cn/{KEY}",
        f"https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.eu/{KEY}",
    ],
)
def test_a_function_in_us_east_1_refuses_another_partitions_suffix(url: str) -> None:
    assert not allowed(url, region="us-east-1")
    assert not allowed(url)  # the endpoint's Region is no Region of that suffix's partition


def test_a_govcloud_function_refuses_its_bucket_name_on_the_commercial_global_endpoint() -> None:
    """aws-us-gov shares amazonaws.com with aws, not its bucket names."""
    bucket = "cloudformation-custom-resource-response-usgovwest1"
    assert allowed(f"https://{bucket}.s3.us-gov-west-1.amazonaws.com/{KEY}", region="us-gov-west-1")
    assert allowed(
        f"https://{bucket}.s3-fips.us-gov-west-1.amazonaws.com/k", region="us-gov-west-1"
    )
    assert not allowed(f"https://{bucket}.s3.amazonaws.com/{KEY}", region="us-gov-west-1")
    assert not allowed(f"https://s3.amazonaws.com/{bucket}/{KEY}", region="us-gov-west-1")


@pytest.mark.parametrize(
    "host",
    [
        # a registrable domain that ends like the suffix, with no dot before it
        "cloudformation-custom-resource-response-useast1.s3.us-east-1xamazonaws.com",
        "cloudformation-custom-resource-response-useast1.s3xamazonaws.com",
        "cloudformation-custom-resource-response-useast1.s3.us-east-1.evilamazonaws.com",
        "s3.us-east-1xamazonaws.com/cloudformation-custom-resource-response-useast1",
        "s3-us-east-1.notamazonaws.com/cloudformation-custom-resource-response-useast1",
    ],
)
@pytest.mark.parametrize("region", ["us-east-1", ""])
def test_a_host_that_only_ends_like_the_dns_suffix_is_refused(host: str, region: str) -> None:
    assert not allowed(f"https://{host}/{KEY}?{QUERY}", region=region)


class Put:
    """urllib's urlopen, answering 200 to whatever the provider sends, and noting where."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        self.hosts.append(request.host)
        return self

    def __enter__(self) -> Any:
        return type("Answer", (), {"status": 200})()

    def __exit__(self, *_: object) -> None:
        return None


def test_the_function_s_region_decides_where_the_response_may_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What an attacker naming a ResponseURL sees: a function in cn-north-1 sends nothing to the
    commercial suffix, and answers under its own."""
    put = Put()
    monkeypatch.setattr("urllib.request.urlopen", put)
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    body = {"Status": "SUCCESS", "Reason": ""}
    assert not responder.send(f"https://{CN_BUCKET}.s3.amazonaws.com/k?{QUERY}", body)
    assert put.hosts == []
    assert responder.send(f"https://{CN_BUCKET}.s3.cn-north-1.amazonaws.com.cn/k?{QUERY}", body)
    assert put.hosts == [f"{CN_BUCKET}.s3.cn-north-1.amazonaws.com.cn"]
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    useast1 = "cloudformation-custom-resource-response-useast1"
    assert not responder.send(f"https://{useast1}.s3.us-east-1.amazonaws.com.cn/k", body)
    assert len(put.hosts) == 1
