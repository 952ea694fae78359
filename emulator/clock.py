"""A movable clock for in-process tests, moto's way of moving time (``freezegun`` moves it too):
moto's ``ManagedState`` times its "time" progression with ``datetime.now()`` and the backend
stamps its changes with moto's ``utcnow()``; both are shifted by the same offset here, so a
test that waits on a fake clock sees transitions end without waiting for real.
"""

from datetime import datetime, timedelta, tzinfo

from moto.core.utils import utcnow
from moto.moto_api._internal import managed_state_model

from .ssmincidents import models

_offset = timedelta()


class _ShiftedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + _offset


def _shifted_utcnow() -> datetime:
    return utcnow() + _offset


def install() -> None:
    """Route both clocks through the offset (0 until a test moves it)."""
    managed_state_model.datetime = _ShiftedDatetime  # type: ignore[attr-defined]
    models.utcnow = _shifted_utcnow  # type: ignore[attr-defined]


def advance(seconds: float) -> None:
    global _offset  # noqa: PLW0603 - one clock per process, like the real one
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset  # noqa: PLW0603
    _offset = timedelta()
