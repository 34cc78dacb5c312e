"""`ReportOptions`: how the report engine waits, re-requests, learns and listens."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import attrs

from simwood_async.exceptions import ConfigurationError
from simwood_async.reports._callbacks import CallbackReceiver
from simwood_async.reports._profile import ReportProfile
from simwood_async.reports._store import ReportStore

__all__ = ["ReportOptions"]

#: The API deletes a ready report after five minutes.
EXPIRY = 300.0


def gmt_today() -> dt.date:
    """Today's date in GMT (the API's days are GMT days)."""
    return dt.datetime.now(tz=dt.timezone.utc).date()


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ConfigurationError(f"{attribute.name} must be > 0, got {value!r}")


def _profile(value: ReportProfile | str | os.PathLike[str] | None) -> ReportProfile | None:
    if value is None or isinstance(value, ReportProfile):
        return value
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigurationError(f"profile must be a path or a ReportProfile, got {value!r}")
    return ReportProfile(value)


def _url(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{attribute.name} must be an http(s) URL, got {value!r}")


@attrs.frozen(kw_only=True)
class ReportOptions:
    """Settings of the report engine, passed as `SimwoodClient(reports=ReportOptions(...))`.

    Attributes:
        deadline: Seconds a report may take from its request to its result, re-requests
            included; then waiters get `ReportTimeoutError`.
        rerequests: Fresh requests allowed after the file expired, was collected elsewhere,
            broke mid-download or did not decode.
        callback_url: Sent as `callback` with every report request, so Simwood POSTs there when
            a report is ready. With `callback_receiver`, the receiver's secret token is appended
            as the last path segment.
        callback_receiver: The ASGI app that receives those callbacks (see `CallbackReceiver`).
        store: Coordination between clients (default: a private `InMemoryReportStore`).
        delay_cost: How many requests one report-second of delay is worth when one listing
            checks several pending reports at once: higher looks more often. See the schedule
            in the engine's docs.
        lone_delay_cost: The same for a report waited for alone (nothing else pending to
            share a listing with), whose every look is a request of its own. `worst_delay`
            already keeps its gaps short wherever readiness is plausible, so this only moves
            extra looks to where the learned model expects readiness (with nothing learned:
            one early look for short reports, at about 4 s).
        worst_delay: For a report waited for alone, the longest it should stay unseen after
            becoming ready: the gaps between its checks are at most about this long wherever
            the model gives it a chance of becoming ready (at most 1 % of its readiness, by
            the model, is seen later), and longer only where the model is sure it is not
            ready yet. Shorter looks more often (with nothing learned, a report pending for a
            minute costs about `60 / worst_delay` requests).
        tail_delay: Shapes the cost of delay: a report seen `d` seconds after it was ready
            costs `delay_cost * (d + d**2 / tail_delay)` requests, so long gaps between rounds
            cost more than their length. Smaller values keep the longest waits (the tail)
            short where the model is unsure or only a few reports are left, at some cost in
            requests; `math.inf` weighs only the mean delay.
        min_interval: The shortest time between poll rounds.
        max_interval: The longest time between poll rounds (well under the 5-minute expiry).
        safety_interval: Time between poll rounds while callbacks are arriving.
        verify_survival: When the model gives a pending report less than this chance of still
            being pending, it is checked with its own request (a listing cannot tell "pending"
            from "collected elsewhere").
        jitter: Relative spread of the round interval (0.2: +-10 %).
        prior_strength: How many observed reports the generation-time prior is worth.
        memory: Roughly how many recent reports of a kind the model remembers.
        profile: Where learned generation times persist: a file path (loaded when first
            needed, saved when the client closes, so a new process starts warm) or a
            `ReportProfile` you manage (share it, or `snapshot()`/`restore()` it yourself).
            None: each client starts from the prior.
        clock: Monotonic seconds (inject a fake one in tests).
        sleep: Awaitable sleep on that clock.
        random: A float in [0, 1), for jitter.
        today: Today's date (GMT), read when a report is requested without a date: the
            request is keyed and re-requested with that day (inject one for tests).
        store_timeout: The longest any one call to the `store` may take (real seconds); a
            store that stalls longer is treated as failing.

    .. versionadded:: 0.1.0
    """

    deadline: float = attrs.field(default=900.0, validator=_positive)
    rerequests: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    callback_url: str | None = attrs.field(default=None, validator=_url)
    callback_receiver: CallbackReceiver | None = None
    store: ReportStore | None = None
    delay_cost: float = attrs.field(default=1.0, validator=_positive)
    lone_delay_cost: float = attrs.field(default=2.0, validator=_positive)
    worst_delay: float = attrs.field(default=6.0, validator=_positive)
    tail_delay: float = attrs.field(default=0.5, validator=_positive)
    min_interval: float = attrs.field(default=0.25, validator=_positive)
    max_interval: float = attrs.field(default=10.0, validator=_positive)
    safety_interval: float = attrs.field(default=30.0, validator=_positive)
    verify_survival: float = 0.02
    jitter: float = attrs.field(default=0.2, validator=[attrs.validators.ge(0.0)])
    prior_strength: float = attrs.field(default=2.0, validator=_positive)
    memory: int = attrs.field(default=200, validator=attrs.validators.ge(1))
    profile: ReportProfile | None = attrs.field(default=None, converter=_profile)
    clock: Callable[[], float] = attrs.field(default=anyio.current_time, repr=False)
    sleep: Callable[[float], Awaitable[None]] = attrs.field(default=anyio.sleep, repr=False)
    random: Callable[[], float] = attrs.field(default=random.random, repr=False)
    today: Callable[[], dt.date] = attrs.field(default=gmt_today, repr=False)
    store_timeout: float = attrs.field(default=10.0, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.min_interval > self.max_interval:
            raise ConfigurationError("min_interval must not exceed max_interval")
        if max(self.max_interval, self.safety_interval) >= EXPIRY / 2:
            raise ConfigurationError(
                "max_interval and safety_interval must stay well under the 5-minute expiry"
            )
        if self.callback_receiver is not None and self.callback_url is None:
            raise ConfigurationError("callback_receiver needs callback_url (its public address)")

    @property
    def effective_callback_url(self) -> str | None:
        """The `callback` value sent with report requests (token appended if a receiver)."""
        if self.callback_url is None or self.callback_receiver is None:
            return self.callback_url
        return self.callback_receiver.url(self.callback_url)
