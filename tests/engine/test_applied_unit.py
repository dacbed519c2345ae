"""The last-applied marker without AWS: it travels beside the spec (reconciler/applied.py)."""

from __future__ import annotations

from reconciler import applied
from reconciler.kinds.base import Desired, Live

SPEC = {"threshold": 5, "tags": {"obsctl:stack": "test", "team": "ml"}}


def test_desired_marker_digests_the_spec_tags_included_and_never_enters_it():
    desired = Desired("a", SPEC)
    assert desired.applied == applied.digest(SPEC)
    assert desired.applied != Desired("a", {**SPEC, "tags": {"obsctl:stack": "test"}}).applied
    assert desired.written_tags == {**SPEC["tags"], applied.APPLIED_TAG: desired.applied}
    assert applied.APPLIED_TAG not in SPEC["tags"]
    assert Desired("dashboard", {"body": {}}).applied is None  # untaggable: no tags, no marker


def test_resources_sharing_one_tags_dict_get_their_own_markers():
    tags = {"obsctl:stack": "test"}
    first, second = Desired("a", {"threshold": 1, "tags": tags}), Desired("b", {"threshold": 2, "tags": tags})
    assert first.written_tags[applied.APPLIED_TAG] != second.written_tags[applied.APPLIED_TAG]
    assert tags == {"obsctl:stack": "test"}


def test_live_marker_is_read_from_the_tags_and_left_out_of_the_comparable_form():
    tags = {**SPEC["tags"], applied.APPLIED_TAG: "v2-0123456789abcdef"}
    live = Live("a", {"threshold": 5, "tags": tags}, tags=tags)
    assert live.applied == "v2-0123456789abcdef"
    assert live.spec == SPEC and live.tags == tags


def test_cause():
    marker = applied.digest(SPEC)
    edited = {**SPEC, "threshold": 9}
    assert applied.cause(marker, edited, SPEC) == "drift"
    assert applied.cause(marker, SPEC, edited) == "config"
    assert applied.cause(marker, edited, {**SPEC, "threshold": 7}) == "config+drift"
    assert applied.cause(None, edited, SPEC) is None
    assert applied.cause("0123456789abcdef", edited, SPEC) is None  # an older obsctl's form


def test_an_import_never_writes_the_marker_as_a_tag():
    from reconciler.aws import Scope
    from reconciler.kinds.base import ImportRefs

    refs = ImportRefs(Scope(region="us-east-1", account_id="123456789012"), {}, {"team": "ml"})
    tags = {"obsctl:stack": "test", "team": "ml", "model": "churn",
            applied.APPLIED_TAG: "v2-0123456789abcdef"}
    assert refs.own_tags(tags) == {"model": "churn"}
