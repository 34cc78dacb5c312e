"""When to look for a report: a learned model of generation times and the poll schedule.

The model
---------
For each report kind (endpoint) the engine estimates the *hazard of readiness*: the chance per
second that a report still pending at elapsed time `t` becomes ready. Elapsed time is cut into
bins (quarter seconds up to 1 s, then 15 % wider each bin) and each bin keeps two numbers:

* exposure: report-seconds during which a report of this kind was *known* to be pending there
  (from its request to its last negative check), and
* events: reports that became ready there (at the middle of the interval between the last
  negative check and the check that found it ready).

The hazard in a bin is `(events + e * prior) / (exposure + e)`: the observed rate, pulled
towards a prior worth `k` events (`e = k / prior` report-seconds, at most twice the bin's own
exposure, so a burst of readiness after a quiet stretch is believed at once). The prior is a
mixture: a report of unknown kind is short (about 2 s) with chance 0.2, else long (about 2
minutes), so its hazard falls from 1/9.4 s to 1/120 s. (The earlier scale-free prior
`1 / (t + 1)`, median 1 s, looked four times in the first 15 s, which cost a report of one or two
minutes about a request more than a steady pace.) Every later bin's prior is its predecessor's
estimate, carried in proportion to the evidence that bin holds (its events plus its exposure
counted as the events the prior expected there, squared against the prior's `k`, at most all of
it): kept level after a bin rich in events, fading with the prior's shape after a poor one. So
the bins of a well-observed kind inherit what was learned, while a lone report's own negative
checks barely move the bins after them (carried in full, they once turned one report pending
for 2 s into a 10 s wait). Counting exposure rather than completed reports handles censoring:
reports still pending teach the model that readiness is *not* happening yet, which a list of
finished generation times cannot. Observations decay (the last few hundred reports dominate),
so the model follows an API that slows down or speeds up.

Persistence
-----------
`GenerationModel.snapshot()` is a small JSON-ready dict and `restore()` loads one, so what a
client learned can outlive its process: `ReportProfile` keeps the models of every report kind,
saves them to a file (`ReportOptions(profile=path)` loads it when the client starts and saves
it when the client closes) and exposes the same snapshot/restore pair for other stores.

The schedule
------------
A request costs one unit; a report-second of delay costs `delay_cost` units. Between rounds,
ready-but-unseen reports accumulate delay; the next round is due when the expected delay
accumulated since the last round, `sum_i integral F_i`, is worth one request (`F_i(s)`: the
chance that report `i` is ready by `s`, given it was pending at its last check). With a steady
stream of readiness at rate `r` this is the square-root rule `interval = sqrt(2 / (cost * r))`;
with a report that is always ready after about 3 s it means "look soon after 3 s". One listing
of `/v3/files/{ACCOUNT}` checks every pending report at once, so many pending reports make
rounds more frequent but no more expensive per report.

The mean delay alone lets the gaps between rounds stretch wherever the model is unsure (before
it has learned a kind, or where few reports are left), and those gaps make the worst delays.
So when a round is a listing shared by several reports, a report seen `d` seconds late costs
`d + d**2 / tail_delay` report-seconds: the accrued cost becomes
`sum_i integral F_i(s) * (1 + 2 * (at - s) / tail_delay) ds`, long gaps cost more than their
length, and the interval depends less on the estimated rate (nearer its cube root than its
square root), so an underestimated rate stretches it less.

A lone report
-------------
With nothing else pending, every look is a request of its own and no listing is shared, so
the square-root rule alone would stretch the gaps wherever readiness is spread thin (every
10 s for an unknown kind, well over 10 s for a kind learned to take one to two minutes). Two
rules plan a lone report instead (`ReportOptions.lone_delay_cost` and `worst_delay`):

* a bound on the worst delay, `latest_check`: the next look comes before more than 1 %
  (`LATE_SHARE`) of the readiness the model expects by then would be seen more than
  `worst_delay * 0.99` late. Where readiness is plausible at a steady rate that is a look
  every `worst_delay` seconds (a little more where the hazard rises); where the model is sure
  the report is not ready yet (a learned kind, early on) the gap may be longer. The bound
  holds after the jitter.
* inside that bound, the cost model above with the lone delay cost, which adds looks only
  where the model expects readiness: with nothing learned, one early look (about 4 s) for
  short reports, then the bound's steady pace; for a learned kind, looks closer together
  where its reports usually become ready.

For reports whose generation time is spread evenly over 1-120 s this costs about 12 requests
each, with a median delay of 3 s and 99 % under 6 s; no schedule does much better on both
requests and the worst delay (see `benchmarks/bench_reports.py`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import TYPE_CHECKING, Any, Final

from simwood_async.exceptions import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["LATE_SHARE", "SNAPSHOT_VERSION", "GenerationModel", "latest_check", "next_round"]


_GROWTH: Final = 1.15
#: The prior is never worth more than this many times the exposure a bin has seen.
_PRIOR_CAP: Final = 2.0


def _bin_edges() -> tuple[float, ...]:
    edges = [0.0, 0.25, 0.5, 0.75, 1.0]
    while edges[-1] < 7200.0:  # noqa: PLR2004 - two hours covers any report
        edges.append(edges[-1] * _GROWTH)
    return tuple(edges)


#: The prior: a report of unknown kind is short (ready in about `_SHORT_MEAN` seconds) with
#: chance `_SHORT_SHARE`, else long (about `_LONG_MEAN` seconds), each exponential.
_SHORT_SHARE: Final = 0.2
_SHORT_MEAN: Final = 2.0
_LONG_MEAN: Final = 120.0
#: A lone report's checks may let at most this share of its readiness be seen later than
#: `worst_delay` after it happened (see `latest_check`).
LATE_SHARE: Final = 0.01


def _prior_hazard(t: float) -> float:
    """The hazard of the prior mixture at elapsed `t`: from 1/9.4 s down to 1/`_LONG_MEAN`."""
    short = _SHORT_SHARE * math.exp(-t / _SHORT_MEAN)
    long = (1.0 - _SHORT_SHARE) * math.exp(-t / _LONG_MEAN)
    return (short / _SHORT_MEAN + long / _LONG_MEAN) / (short + long)


_EDGES: Final = _bin_edges()
_WIDTHS: Final = tuple(b - a for a, b in itertools.pairwise(_EDGES))
_PRIOR: Final = tuple(_prior_hazard((a + b) / 2) for a, b in itertools.pairwise(_EDGES))
#: Names the bins a snapshot was taken with (a snapshot of other bins is refused).
_LAYOUT: Final = f"bins:{len(_WIDTHS)}:growth:{_GROWTH}"
SNAPSHOT_VERSION: Final = 1


class GenerationModel:
    """The learned hazard of readiness of one report kind (see the module docstring).

    Args:
        prior_strength: How many observed readiness events the prior of a bin is worth.
        memory: Roughly how many recent reports dominate (older ones decay away).
    """

    __slots__ = ("_cum", "_decay", "_events", "_exposure", "_rates", "_strength", "observations")

    def __init__(self, *, prior_strength: float = 2.0, memory: int = 200) -> None:
        self._strength = prior_strength
        self._decay = 1.0 - 1.0 / max(memory, 1)
        self._events = [0.0] * len(_WIDTHS)
        self._exposure = [0.0] * len(_WIDTHS)
        self._rates: list[float] = []
        self._cum: list[float] = []
        self.observations = 0

    @staticmethod
    def _bin(t: float) -> int:
        return min(max(bisect.bisect_right(_EDGES, t) - 1, 0), len(_WIDTHS) - 1)

    def record_pending(self, start: float, end: float) -> None:
        """Record that a report was pending from elapsed `start` to elapsed `end`."""
        if end <= start:
            return
        b = self._bin(start)
        while b < len(_WIDTHS) and _EDGES[b] < end:
            overlap = min(end, _EDGES[b + 1]) - max(start, _EDGES[b])
            if overlap > 0:
                self._exposure[b] += overlap
            b += 1
        self._rates = []

    def record_ready(self, at: float) -> None:
        """Record that a report became ready at elapsed `at` (older observations decay)."""
        decay = self._decay
        self._events = [e * decay for e in self._events]
        self._exposure = [e * decay for e in self._exposure]
        self._events[self._bin(at)] += 1.0
        self.observations += 1
        self._rates = []

    def _refresh(self) -> None:
        # Each bin's prior is its predecessor's estimate, worth `strength` events, so a bin
        # that reports have just entered (little exposure, no event yet) is not taken for
        # "never ready". Carried on after a bin rich in events, the estimate stays level; after
        # a bin with none, the prior's own shape carries on (a backoff to a steady rate, when
        # nothing has been seen yet). Exposure without events lowers its own bin only.
        rates: list[float] = []
        cum = [0.0]
        k = self._strength
        previous, weight = _PRIOR[0], 1.0
        events, exposure = self._events, self._exposure
        for b, width in enumerate(_WIDTHS):
            prior = previous * (_PRIOR[b] / _PRIOR[max(b - 1, 0)]) ** weight
            # How much evidence the bin holds: events, and exposure counted as the events the
            # prior expected there, against the prior's `k` (next to nothing for one report's
            # own negative checks, all of it after many reports).
            evidence = events[b] + exposure[b] * _PRIOR[b]
            carry = min(1.0, (evidence / k) ** 2)
            # A gamma prior worth `k` events, but with evidence never worth more than twice the
            # exposure the bin has seen: a burst of readiness after a quiet stretch is believed.
            full = k / prior
            pseudo = max(min(full, _PRIOR_CAP * exposure[b]), (1.0 - carry) * full)
            rate = (events[b] + pseudo * prior) / (exposure[b] + pseudo) if pseudo > 0 else prior
            rates.append(rate)
            cum.append(cum[-1] + rate * width)
            # What the next bin inherits: this bin's estimate, as far as the evidence goes.
            previous = prior * (rate / prior) ** carry
            weight = k / (events[b] + k)
        self._rates, self._cum = rates, cum

    def snapshot(self) -> dict[str, Any]:
        """What the model learned, as a small JSON-ready dict (see `restore`).

        .. versionadded:: 0.2.0
        """
        return {
            "version": SNAPSHOT_VERSION,
            "layout": _LAYOUT,
            "observations": self.observations,
            "events": [round(e, 6) for e in self._events],
            "exposure": [round(e, 4) for e in self._exposure],
        }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Replace what the model learned with a `snapshot()` (of this or another process).

        Raises:
            InvalidInputError: Not a snapshot of this version and bin layout.

        .. versionadded:: 0.2.0
        """
        try:
            if snapshot["version"] != SNAPSHOT_VERSION or snapshot["layout"] != _LAYOUT:
                raise InvalidInputError(
                    f"a report profile of another version or layout: {snapshot.get('layout')!r}"
                )
            events = [float(e) for e in snapshot["events"]]
            exposure = [float(e) for e in snapshot["exposure"]]
            observations = int(snapshot["observations"])
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(f"not a report profile snapshot: {err!r}") from err
        n = len(_WIDTHS)
        if len(events) != n or len(exposure) != n or min(events + exposure) < 0:
            raise InvalidInputError("not a report profile snapshot: bad bin counts")
        self._events, self._exposure, self.observations = events, exposure, observations
        self._rates = []

    def hazard(self, t: float) -> float:
        """Chance per second that a report pending at elapsed `t` becomes ready."""
        if not self._rates:
            self._refresh()
        return self._rates[self._bin(t)]

    def cumulative_hazard(self, t: float) -> float:
        """The integral of the hazard from 0 to elapsed `t`."""
        if t <= 0:
            return 0.0
        if not self._rates:
            self._refresh()
        b = self._bin(t)
        return self._cum[b] + self._rates[b] * (t - _EDGES[b])

    def ready_by(self, since: float, until: float) -> float:
        """Chance of being ready by elapsed `until`, given pending at elapsed `since`."""
        if until <= since:
            return 0.0
        return 1.0 - math.exp(self.cumulative_hazard(since) - self.cumulative_hazard(until))

    def survival(self, t: float) -> float:
        """Chance that a report is still pending at elapsed `t`."""
        return math.exp(-self.cumulative_hazard(t))

    def quantile(self, q: float) -> float:
        """The elapsed time by which a fraction `q` of reports are ready (for stats)."""
        target = -math.log(max(1.0 - q, 1e-12))
        if not self._rates:
            self._refresh()
        b = min(bisect.bisect_right(self._cum, target) - 1, len(_WIDTHS) - 1)
        return _EDGES[b] + (target - self._cum[b]) / self._rates[b]


# One pending report, for scheduling: (model, requested_at, last_checked_at).
Pending = tuple[GenerationModel, float, float]


def _accrued_delay(
    items: Iterable[tuple[GenerationModel, float, float, int]], at: float, tail_delay: float
) -> float:
    """Expected cost in report-seconds of unseen readiness if the next look is at time `at`.

    A report seen `d` seconds after it became ready costs `d + d**2 / tail_delay`, so this is
    `sum_i integral F_i(s) * (1 + 2 * (at - s) / tail_delay) ds` over `(checked_i, at]`.
    """
    total = 0.0
    convex = 2.0 / tail_delay
    for model, requested, checked, weight in items:
        span = at - checked
        if span <= 0:
            continue
        since = checked - requested
        # Composite trapezoid over four steps; F(checked) = 0.
        step = span / 4
        acc = 0.0
        for k in (1, 2, 3):
            acc += model.ready_by(since, since + k * step) * (1.0 + convex * (span - k * step))
        acc += model.ready_by(since, since + span) / 2
        total += weight * acc * step
    return total


def next_round(
    pending: Iterable[Pending],
    *,
    last_round: float,
    delay_cost: float,
    min_interval: float,
    max_interval: float,
    tail_delay: float = math.inf,
) -> float:
    """When the next round should look, as an absolute time on the engine's clock.

    The smallest time at which the expected cost of delay accrued since `last_round` is worth
    one request, clamped to `[last_round + min_interval, last_round + max_interval]` (it may
    be in the past: then a round is due now). A report seen `d` seconds late costs
    `delay_cost * (d + d**2 / tail_delay)`: with a finite `tail_delay` long gaps cost more
    than their length, which keeps the worst delays short where the model is unsure or only
    a few reports are left (`math.inf`: the plain expected delay). The convex term applies
    only when two or more reports are pending, i.e. when a round is one listing shared by all
    of them: a lone report pays a whole request for every look, so it keeps the plain
    trade-off (a backoff while nothing is known).
    """
    counts: dict[tuple[int, float, float], int] = {}
    models: dict[int, GenerationModel] = {}
    for model, requested, checked in pending:
        # Reports requested and checked together behave alike: evaluate each group once.
        key = (id(model), round(requested, 3), round(checked, 3))
        counts[key] = counts.get(key, 0) + 1
        models[key[0]] = model
    items = [(models[key[0]], key[1], key[2], n) for key, n in counts.items()]
    if sum(counts.values()) < 2:  # noqa: PLR2004 - a lone report: no listing to share
        tail_delay = math.inf
    low, high = math.log(min_interval), math.log(max_interval)
    target = 1.0 / delay_cost
    if not items or _accrued_delay(items, last_round + max_interval, tail_delay) < target:
        found = max_interval
    elif _accrued_delay(items, last_round + min_interval, tail_delay) >= target:
        found = min_interval
    else:
        for _ in range(9):  # bisection on a log scale: within ~1.5 %
            mid = (low + high) / 2
            if _accrued_delay(items, last_round + math.exp(mid), tail_delay) >= target:
                high = mid
            else:
                low = mid
        found = math.exp(high)
    return last_round + found


def latest_check(
    model: GenerationModel, requested: float, checked: float, *, worst_delay: float, limit: float
) -> float:
    """The latest time for a lone report's next check that keeps its delays short.

    A report seen more than `worst_delay * (1 - LATE_SHARE)` after it became ready is *late*.
    The next check after `checked` may come no later than the time at which, by the model,
    more than `LATE_SHARE` of the readiness expected before that check would be late: where
    readiness is plausible at a steady rate this is a gap of `worst_delay`, and where the model
    is sure a report is not ready yet (a learned kind early on) it may be longer. Over all
    gaps, at most that share of reports is seen late (by the model). At most `limit`.
    """
    since, end = checked - requested, limit - requested

    threshold = worst_delay * (1.0 - LATE_SHARE)

    def late(until: float) -> bool:
        early = model.ready_by(since, until - threshold)
        return early > LATE_SHARE * model.ready_by(since, until)

    low = since + threshold  # nothing is late yet
    if end <= low or not late(end):
        return limit
    high = end
    for _ in range(14):  # bisection: within ~1 ms for a 10 s range
        mid = (low + high) / 2
        if late(mid):
            high = mid
        else:
            low = mid
    return requested + low
