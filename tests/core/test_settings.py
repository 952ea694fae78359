"""Settings a user may mistype: a value that is no usable number keeps its documented default
(``inf`` or ``nan`` once stopped every request, the response included)."""

import pytest

from provider.settings import settings


@pytest.mark.parametrize("value", ["fast", "", "inf", "nan", "-1", "1e999"])
def test_a_setting_that_is_no_usable_number_keeps_its_default(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    for name in ("PROVIDER_POLL_SECONDS", "PROVIDER_MAX_ATTEMPTS", "PROVIDER_HANDOFF_SECONDS"):
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    try:
        read = settings()
    finally:
        settings.cache_clear()
    assert (read.poll_seconds, read.max_attempts, read.handoff_seconds) == (1, 3, 30)


def test_a_setting_that_is_a_number_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDER_POLL_SECONDS", "0.5")
    settings.cache_clear()
    try:
        assert settings().poll_seconds == 0.5
    finally:
        settings.cache_clear()
