"""Which ResponseURLs the provider answers to: CloudFormation's response buckets only. Pure.

CloudFormation answers custom resources through a presigned URL into its own bucket of the
stack's Region, ``cloudformation-custom-resource-response-<region without dashes>``, in any of
S3's endpoint forms (the Lambda developer guide's sample event: ``...-useast1.s3-us-east-1.
amazonaws.com``; cfn-response's users report ``...-useast1.s3.amazonaws.com``; S3's own endpoint
list gives ``s3.REGION``, ``s3-REGION``, dual-stack and FIPS, virtual-hosted or path-style, and
each partition's DNS suffix, as botocore's endpoint data names them). Any other bucket, an
access point or Object Lambda, is refused: the answer would go to whoever owns it.

Checked with string operations after a length cap: no regular expression that could backtrack.

    >>> allowed("https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com/k?X-Amz-Signature=0")
    True
    >>> allowed("https://attacker-bucket.s3.us-west-2.amazonaws.com/k")
    False
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

#: Longer than any presigned response URL CloudFormation makes (about 1 KB).
MAX_URL_LENGTH = 4096
BUCKET_PREFIX = "cloudformation-custom-resource-response-"
#: The DNS suffixes of botocore's partitions (endpoints.json), longest first.
DNS_SUFFIXES = (
    "amazonaws.com.cn",
    "csp.hci.ic.gov",
    "cloud.adc-e.uk",
    "sc2s.sgov.gov",
    "amazonaws.com",
    "amazonaws.eu",
    "c2s.ic.gov",
)
#: S3 endpoint labels before the Region: s3.REGION, s3.dualstack.REGION, s3-fips.REGION...
S3_PREFIXES = (("s3",), ("s3", "dualstack"), ("s3-fips",), ("s3-fips", "dualstack"))
REGION_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def allowed(url: str, extra_origins: Iterable[str] = (), region: str = "") -> bool:
    """Whether ``url`` is a CloudFormation response URL, or on an origin explicitly allowed
    (``PROVIDER_RESPONSE_ORIGINS``: the local runner, tools that play CloudFormation's part).

    ``region`` is the function's own (a custom resource's function is in its stack's Region,
    whose bucket CloudFormation answers through): the bucket must be that Region's, so that no
    look-alike bucket name on S3's global endpoint passes. Without it, any Region's bucket.
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
    own_region, endpoint_region = region, _endpoint_region(endpoint)
    suffix = bucket.removeprefix(BUCKET_PREFIX)
    return (
        bucket.startswith(BUCKET_PREFIX)
        and 0 < len(suffix) <= 32
        and suffix.isascii()
        and suffix.isalnum()
        and suffix == suffix.lower()
        and endpoint_region is not None
        and endpoint_region.replace("-", "") in ("", suffix)
        and (suffix == own_region.replace("-", "") if own_region else suffix[-1].isdigit())
    )


def _endpoint_region(endpoint: str) -> str | None:
    """The Region an S3 endpoint names ("" for the global s3.amazonaws.com); None when the
    host is no S3 endpoint."""
    suffix = next((s for s in DNS_SUFFIXES if endpoint.endswith("." + s)), None)
    if suffix is None:
        return None
    labels = tuple(endpoint[: -len(suffix) - 1].split("."))
    if labels in (("s3",), ("s3-external-1",)):
        return ""
    if len(labels) == 1 and labels[0].startswith(("s3-fips-", "s3-")):  # s3-REGION (legacy)
        region = labels[0].removeprefix("s3-fips-").removeprefix("s3-")
    elif labels[:-1] in S3_PREFIXES:
        region = labels[-1]
    else:
        return None
    valid = 0 < len(region) <= 32 and set(region) <= REGION_CHARACTERS and "-" in region
    return region if valid else None
