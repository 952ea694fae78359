"""The plan: which calls, in which order, bring the live set to the spec."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider.actions import AddRegion, RemoveRegion, SetDeletionProtection, TagSet, UntagSet
from provider.errors import NotInPlace
from provider.live import LiveRegion, LiveReplicationSet
from provider.plan import plan, region_actions
from provider.spec import RegionSpec, ReplicationSetSpec

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


HOME = "us-east-1"  # the provider's Region


def test_a_set_that_matches_the_spec_needs_no_call() -> None:
    unchanged = plan(live({HOME: None}, {"a": "1"}), spec({HOME: None}, {"a": "1"}), HOME)
    assert unchanged == []


def test_untag_then_tag_then_removals_then_additions_then_deletion_protection_on() -> None:
    actions = plan(
        live({HOME: None, "eu-west-1": None}, {"old": "x", "keep": "1"}),
        spec({HOME: None, "us-west-2": None}, {"keep": "2", "new": "y"}, protected=True),
        HOME,
    )
    assert actions == [
        UntagSet(("old",), HOME),
        TagSet((("keep", "2"), ("new", "y")), HOME),
        RemoveRegion("eu-west-1", HOME),
        AddRegion("us-west-2", None, HOME),
        SetDeletionProtection(True, HOME),
    ]


def test_deletion_protection_is_turned_off_before_any_region_changes() -> None:
    actions = plan(live({HOME: None, "eu-west-1": None}, protected=True), spec({HOME: None}), HOME)
    assert actions == [SetDeletionProtection(False, HOME), RemoveRegion("eu-west-1", HOME)]


def test_aws_prefixed_tags_are_never_removed() -> None:
    actions = plan(
        live({HOME: None}, {"aws:cloudformation:stack-name": "s"}), spec({HOME: None}), HOME
    )
    assert actions == []


def test_the_key_of_the_providers_region_changes_through_another_region() -> None:
    assert region_actions({HOME: "k1"}, {HOME: "k2", "us-east-2": "k3"}, HOME) == [
        AddRegion("us-east-2", "k3", HOME),
        RemoveRegion(HOME, "us-east-2"),
        AddRegion(HOME, "k2", "us-east-2"),
    ]


def test_a_region_that_stays_relays_the_providers_region_key_change() -> None:
    actions = region_actions({HOME: "k1", "eu-west-1": "k"}, {HOME: "k2", "eu-west-1": "k"}, HOME)
    assert actions == [RemoveRegion(HOME, "eu-west-1"), AddRegion(HOME, "k2", "eu-west-1")]


def test_a_set_outside_the_providers_region_gets_it_back_first() -> None:
    # The provider's Region was removed outside the stack: calls go through the set's Region.
    actions = plan(live({"eu-west-1": None}), spec({HOME: None, "eu-west-1": None}), HOME)
    assert actions == [AddRegion(HOME, None, "eu-west-1")]


def test_moving_to_three_new_regions_never_exceeds_three() -> None:
    actions = region_actions(
        {"us-east-2": None, "us-west-2": None, "ap-south-1": None},
        {HOME: None, "eu-west-2": None, "eu-central-1": None},
        HOME,
    )
    assert actions == [
        RemoveRegion("ap-south-1", "us-east-2"),
        RemoveRegion("us-east-2", "us-west-2"),
        AddRegion(HOME, None, "us-west-2"),
        RemoveRegion("us-west-2", HOME),
        AddRegion("eu-west-2", None, HOME),
        AddRegion("eu-central-1", None, HOME),
    ]


def test_changing_the_key_of_the_only_region_is_refused() -> None:
    with pytest.raises(NotInPlace, match="changing the key of us-east-1, the set's only region"):
        plan(live({HOME: "k1"}), spec({HOME: "k2"}), HOME)


def test_switching_between_owned_and_customer_keys_is_refused() -> None:
    with pytest.raises(
        NotInPlace, match="uses the AWS owned key and the template asks for customer managed"
    ):
        plan(live({HOME: None, "us-east-2": None}), spec({HOME: "k1", "us-east-2": "k2"}), HOME)


REGIONS = [HOME, "us-east-2", "us-west-2", "eu-west-1", "ap-south-1"]
region_maps = st.dictionaries(
    st.sampled_from(REGIONS), st.sampled_from(["k1", "k2"]), min_size=1, max_size=3
)


@given(current=region_maps, wanted=region_maps)
def test_any_feasible_region_change_goes_through_regions_of_the_set(
    current: dict[str, str | None], wanted: dict[str, str | None]
) -> None:
    wanted = {HOME: "k1", **wanted} if len(wanted) < 3 or HOME in wanted else wanted
    if HOME not in wanted:
        return  # the spec always holds the provider's Region (checked when parsing)
    try:
        actions = region_actions(current, wanted, HOME)
    except NotInPlace:
        # only ever: one region left whose key must change
        assert len(current) == 1 and len(wanted) == 1 and current.keys() == wanted.keys()
        return
    regions = dict(current)
    for action in actions:
        before = set(regions)
        if isinstance(action, AddRegion):
            assert action.name not in regions
            regions[action.name] = action.kms_key
        else:
            assert action.name != HOME or wanted[HOME] != current.get(HOME)  # only for its key
            del regions[action.name]
        assert 1 <= len(regions) <= 3
        # the call goes through a Region of the set before and after it, home when it can
        assert action.via in before and action.via in regions
        assert action.via == HOME or HOME not in before or action.name == HOME
    assert regions == wanted
    if HOME in current and current[HOME] == wanted[HOME]:
        # the provider's Region stays throughout: every removal comes before every addition
        kinds = [type(action) for action in actions]
        assert kinds == sorted(kinds, key=lambda kind: kind is AddRegion)


def test_an_extra_region_relays_the_key_change_of_the_providers_region() -> None:
    actions = region_actions({HOME: "k2", "us-east-2": "k1"}, {HOME: "k1"}, HOME)
    assert actions == [
        RemoveRegion(HOME, "us-east-2"),
        AddRegion(HOME, "k1", "us-east-2"),
        RemoveRegion("us-east-2", HOME),
    ]


def test_a_key_named_by_id_in_one_place_and_by_arn_in_the_other_is_the_same_key() -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/de6a2f4e-5d40-4443-ad82-1db179510a32"
    key = "de6a2f4e-5d40-4443-ad82-1db179510a32"
    assert plan(live({HOME: arn}), spec({HOME: key}), HOME) == []
    assert plan(live({HOME: key}), spec({HOME: arn}), HOME) == []


def test_a_set_read_without_its_tags_cannot_be_planned() -> None:
    unread = LiveReplicationSet(ARN, "ACTIVE", {HOME: LiveRegion(None, "ACTIVE")})
    with pytest.raises(ValueError, match="needs the live set's tags"):
        plan(unread, spec({HOME: None}), HOME)  # never taken for "no tags"
