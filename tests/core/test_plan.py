"""The plan: which calls, in which order, bring the live set to the spec."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider.errors import NotInPlace
from provider.plan import (
    AddRegion,
    RemoveRegion,
    SetDeletionProtection,
    TagSet,
    UntagSet,
    plan,
    region_actions,
)
from provider.spec import RegionSpec, ReplicationSetSpec
from provider.state import LiveRegion, LiveReplicationSet

ARN = "arn:aws:ssm-incidents::111122223333:replication-set/abc"


def live(
    regions: dict[str, str | None], tags: dict[str, str] | None = None, protected: bool = False
) -> LiveReplicationSet:
    return LiveReplicationSet(
        ARN,
        "ACTIVE",
        {n: LiveRegion(k, "ACTIVE") for n, k in regions.items()},
        protected,
        tags or {},
    )


def spec(
    regions: dict[str, str | None], tags: dict[str, str] | None = None, protected: bool = False
) -> ReplicationSetSpec:
    return ReplicationSetSpec(
        tuple(RegionSpec(n, k) for n, k in regions.items()), protected, tags or {}
    )


def test_a_set_that_matches_the_spec_needs_no_call() -> None:
    assert plan(live({"us-east-1": None}, {"a": "1"}), spec({"us-east-1": None}, {"a": "1"})) == []


def test_regions_then_tags_then_deletion_protection() -> None:
    actions = plan(
        live({"us-east-1": None, "eu-west-1": None}, {"old": "x", "keep": "1"}),
        spec({"us-east-1": None, "us-west-2": None}, {"keep": "2", "new": "y"}, protected=True),
    )
    assert actions == [
        AddRegion("us-west-2", None),
        RemoveRegion("eu-west-1"),
        TagSet((("keep", "2"), ("new", "y"))),
        UntagSet(("old",)),
        SetDeletionProtection(True),
    ]


def test_aws_prefixed_tags_are_never_removed() -> None:
    actions = plan(
        live({"us-east-1": None}, {"aws:cloudformation:stack-name": "s"}), spec({"us-east-1": None})
    )
    assert actions == []


def test_changed_key_is_replaced_after_missing_regions_are_added() -> None:
    assert region_actions({"us-east-1": "k1"}, {"us-east-1": "k2", "us-east-2": "k3"}) == [
        AddRegion("us-east-2", "k3"),
        RemoveRegion("us-east-1"),
        AddRegion("us-east-1", "k2"),
    ]


def test_moving_to_three_new_regions_never_exceeds_three() -> None:
    actions = region_actions(
        {"us-east-1": None, "us-east-2": None, "us-west-2": None},
        {"eu-west-1": None, "eu-west-2": None, "eu-central-1": None},
    )
    assert actions == [
        RemoveRegion("us-east-1"),
        AddRegion("eu-west-1", None),
        RemoveRegion("us-east-2"),
        AddRegion("eu-west-2", None),
        RemoveRegion("us-west-2"),
        AddRegion("eu-central-1", None),
    ]


def test_changing_the_key_of_the_only_region_is_refused() -> None:
    with pytest.raises(NotInPlace, match="changing the key of us-east-1, the set's only region"):
        plan(live({"us-east-1": "k1"}), spec({"us-east-1": "k2"}))


def test_switching_between_owned_and_customer_keys_is_refused() -> None:
    with pytest.raises(
        NotInPlace, match="uses the AWS owned key and the template asks for customer managed"
    ):
        plan(
            live({"us-east-1": None, "us-east-2": None}),
            spec({"us-east-1": "k1", "us-east-2": "k2"}),
        )


REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-south-1"]
region_maps = st.dictionaries(
    st.sampled_from(REGIONS), st.sampled_from(["k1", "k2"]), min_size=1, max_size=3
)


@given(current=region_maps, wanted=region_maps)
def test_any_feasible_region_change_stays_within_one_to_three_regions(
    current: dict[str, str | None], wanted: dict[str, str | None]
) -> None:
    try:
        actions = region_actions(current, wanted)
    except NotInPlace:
        # only ever: one region left whose key must change
        assert len(current) == 1 and len(wanted) == 1 and current.keys() == wanted.keys()
        return
    regions = dict(current)
    for action in actions:
        if isinstance(action, AddRegion):
            assert action.name not in regions
            regions[action.name] = action.kms_key
        else:
            del regions[action.name]
        assert 1 <= len(regions) <= 3
    assert regions == wanted


def test_a_key_named_by_id_in_one_place_and_by_arn_in_the_other_is_the_same_key() -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/de6a2f4e-5d40-4443-ad82-1db179510a32"
    key = "de6a2f4e-5d40-4443-ad82-1db179510a32"
    assert plan(live({"us-east-1": arn}), spec({"us-east-1": key})) == []
    assert plan(live({"us-east-1": key}), spec({"us-east-1": arn})) == []
