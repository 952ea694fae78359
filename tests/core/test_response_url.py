"""The response allow-list: CloudFormation's response bucket in every S3 endpoint form of every
partition (botocore's endpoint data), and nothing else."""

import botocore.loaders
import pytest

from provider.response_url import DNS_SUFFIXES, MAX_URL_LENGTH, allowed

KEY = "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack%2Fs%2Fg%7CSet%7Cr"
QUERY = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0123"


def partitions() -> list[tuple[str, str]]:
    """(Region, DNS suffix) of every Region of every partition botocore knows."""
    data = botocore.loaders.create_loader().load_data("endpoints")
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
