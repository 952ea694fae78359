"""`make demo` tells the whole story and exits 0 only when every step ended as expected."""

import pytest

from local_cloudformation import demo


def test_demo_story_passes_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.run(transition_seconds=0) == 0
    out = capsys.readouterr().out
    for title in ("PASS  Deploy", "PASS  Update", "PASS  Failing update", "PASS  Delete the stack"):
        assert title in out
    assert "UPDATE_ROLLBACK_COMPLETE" in out
    assert "Incident Manager API calls by the provider: CreateReplicationSet 1" in out
