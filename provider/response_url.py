"""Which ResponseURLs the provider answers to: CloudFormation's response buckets only. Pure.

CloudFormation answers custom resources through a presigned URL into its own bucket of the
stack's Region, ``cloudformation-custom-resource-response-<region without dashes>``, in any of
S3's endpoint forms (the Lambda developer guide's sample event: ``...-useast1.s3-us-east-1.
amazonaws.com``; cfn-response's users report ``...-useast1.s3.amazonaws.com``; S3's own endpoint
list gives ``s3.REGION``, ``s3-REGION``, dual-stack and FIPS, virtual-hosted or path-style, and
each partition's DNS suffix, as botocore's endpoint data names them). Any other bucket, an
access point or Object Lambda, is refused: the answer would go to whoever owns it.

The host must be under the DNS suffix of the function's own partition (a function in cn-north-1
answers under ``amazonaws.com.cn``, never under ``amazonaws.com``), and an endpoint naming a
Region under the suffix of that Region's partition: CloudFormation answers through its own
partition's S3, and a look-alike under another suffix is someone else's host.

Checked with string operations after a length cap; the only regular expressions are botocore's
partition patterns, matched against a Region name of at most 32 characters.

    >>> allowed("https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com/k?X-Amz-Signature=0")
    True
    >>> allowed("https://attacker-bucket.s3.us-west-2.amazonaws.com/k")
    False
"""

import re
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit

#: Longer than any presigned response URL CloudFormation makes (about 1 KB).
MAX_URL_LENGTH = 4096
BUCKET_PREFIX = "cloudformation-custom-resource-response-"
#: botocore's partitions, as its data file names them (botocore/data/endpoints.json:
#: "partition", "regionRegex", "dnsSuffix"), in its order: a Region is in the first partition
#: whose regionRegex matches it, as botocore resolves it. Copied rather than read, so that no
#: import of botocore is paid at cold start; tests/core/test_response_url.py fails when the
#: installed botocore says otherwise.
PARTITIONS = (
    ("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
    ("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    ("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    ("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    ("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    ("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    ("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    ("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
)
#: botocore's default partition, for a Region name no regionRegex matches; S3's global
#: endpoints (s3.amazonaws.com, s3-external-1) are its.
DEFAULT_PARTITION = ("aws", "amazonaws.com")
#: Every partition's DNS suffix, longest first (amazonaws.com.cn before amazonaws.com).
DNS_SUFFIXES = tuple(sorted({suffix for *_, suffix in PARTITIONS}, key=len, reverse=True))
#: S3 endpoint labels before the Region: s3.REGION, s3.dualstack.REGION, s3-fips.REGION...
S3_PREFIXES = (("s3",), ("s3", "dualstack"), ("s3-fips",), ("s3-fips", "dualstack"))
REGION_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def allowed(url: str, extra_origins: Iterable[str] = (), region: str = "") -> bool:
    """Whether ``url`` is a CloudFormation response URL, or on an origin explicitly allowed
    (``PROVIDER_RESPONSE_ORIGINS``: the local runner, tools that play CloudFormation's part).

    ``region`` is the function's own (a custom resource's function is in its stack's Region,
    whose bucket CloudFormation answers through): the bucket must be that Region's, so that no
    look-alike bucket name on S3's global endpoint passes, and the host under its partition's
    DNS suffix. Without it (never on Lambda, which sets AWS_REGION; a local tool may lack it):
    any Region's bucket, under the DNS suffix of the Region its endpoint names.
    """
    if len(url) > MAX_URL_LENGTH:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    origin = f"{parts.scheme}://{parts.netloc}"
    if any(origin == extra.rstrip("/") for extra in extra_origins if extra):
        return True
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or port not in (None, 443) or parts.username or not host:
        return False
    if host.startswith(BUCKET_PREFIX):  # virtual-hosted: BUCKET.ENDPOINT
        bucket, _, endpoint = host.partition(".")
    else:  # path-style: ENDPOINT/BUCKET/KEY
        bucket, endpoint = parts.path.lstrip("/").partition("/")[0], host
    endpoint_region = _endpoint_region(endpoint, partition(region) if region else None)
    suffix = bucket.removeprefix(BUCKET_PREFIX)
    return (
        bucket.startswith(BUCKET_PREFIX)
        and 0 < len(suffix) <= 32
        and suffix.isascii()
        and suffix.isalnum()
        and suffix == suffix.lower()
        and endpoint_region is not None
        and endpoint_region.replace("-", "") in ("", suffix)
        and (suffix == region.replace("-", "") if region else suffix[-1].isdigit())
    )


def partition(region: str) -> tuple[str, str]:
    """The name and DNS suffix of ``region``'s partition, as botocore resolves it; its default
    partition (aws, amazonaws.com) for a name no partition's pattern matches.

        >>> partition("cn-north-1"), partition("us-gov-west-1")
        (('aws-cn', 'amazonaws.com.cn'), ('aws-us-gov', 'amazonaws.com'))
    """
    if len(region) <= 32:
        for name, pattern, suffix in _partition_patterns():
            if pattern.fullmatch(region):
                return name, suffix
    return DEFAULT_PARTITION


@cache
def _partition_patterns() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Compiled on the first check, not at import."""
    return tuple((name, re.compile(pattern), suffix) for name, pattern, suffix in PARTITIONS)


def _endpoint_region(endpoint: str, own: tuple[str, str] | None) -> str | None:
    """The Region an S3 endpoint names ("" for S3's global endpoint); None when the host is no
    S3 endpoint of the ``own`` partition (without one: of any), or names a Region of another
    partition than its DNS suffix's (s3.us-east-1.amazonaws.com.cn).

    The global endpoints are the aws partition's alone: aws-us-gov shares its DNS suffix, but
    not its bucket names, so a GovCloud function's bucket name on s3.amazonaws.com could be
    anyone's bucket."""
    name, found = own or (None, next((s for s in DNS_SUFFIXES if endpoint.endswith("." + s)), ""))
    if not found or not endpoint.endswith("." + found):
        return None
    labels = tuple(endpoint[: -len(found) - 1].split("."))
    if labels in (("s3",), ("s3-external-1",)):
        return "" if (name or DEFAULT_PARTITION[0], found) == DEFAULT_PARTITION else None
    if len(labels) == 1 and labels[0].startswith(("s3-fips-", "s3-")):  # s3-REGION (legacy)
        region = labels[0].removeprefix("s3-fips-").removeprefix("s3-")
    elif labels[:-1] in S3_PREFIXES:
        region = labels[-1]
    else:
        return None
    valid = 0 < len(region) <= 32 and set(region) <= REGION_CHARACTERS and "-" in region
    return region if valid and partition(region)[1] == found else None
