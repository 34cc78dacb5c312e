"""Fault injection: deterministic by seed, per route and method or global, at a rate.

Each rule draws from its own `random.Random`, seeded from the sandbox seed and the rule's
position, so a given sequence of requests meets the same faults on every run.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections import Counter
from typing import Any, Final, Literal

import attrs

__all__ = [
    "CALLBACK_FAULTS",
    "FAULT_KINDS",
    "REPORT_FAULTS",
    "REQUEST_FAULTS",
    "Fault",
    "FaultKind",
    "Faults",
    "parse_fault",
]

FaultKind = Literal[
    "latency",
    "error",
    "rate_limit",
    "reset",
    "truncate",
    "slow_body",
    "slow_report",
    "early_expiry",
    "callback_lost",
    "callback_delay",
    "callback_duplicate",
]

# Kind -> its parameters and their defaults.
FAULT_KINDS: Final[dict[str, dict[str, float]]] = {
    "latency": {"seconds": 0.1, "jitter": 0.0},
    "error": {"status": 500},
    "rate_limit": {"retry_after": 1.0},
    "reset": {},
    "truncate": {"fraction": 0.5},
    "slow_body": {"seconds": 1.0, "chunks": 10},
    "slow_report": {"factor": 10.0, "extra": 0.0},
    "early_expiry": {"after": 10.0},
    "callback_lost": {},
    "callback_delay": {"seconds": 60.0},
    "callback_duplicate": {"copies": 2},
}
REQUEST_FAULTS: Final = frozenset(
    {"latency", "error", "rate_limit", "reset", "truncate", "slow_body"}
)
REPORT_FAULTS: Final = frozenset({"slow_report", "early_expiry"})
CALLBACK_FAULTS: Final = frozenset({"callback_lost", "callback_delay", "callback_duplicate"})
_ENDS_REQUEST: Final = frozenset({"error", "rate_limit", "reset"})
# Kind -> kinds that can no longer take effect once it has fired.
_EXCLUDES: Final[dict[str, frozenset[str]]] = {
    **dict.fromkeys(_ENDS_REQUEST, _ENDS_REQUEST | {"truncate", "slow_body"}),
    "truncate": frozenset({"truncate", "slow_body"}),
    "slow_body": frozenset({"truncate", "slow_body"}),
    "callback_lost": CALLBACK_FAULTS,
}


@attrs.define(eq=False)
class Fault:
    """One fault rule. Create them with `sandbox.faults.add(...)`.

    Attributes:
        kind: What goes wrong (see `Faults.add`).
        rate: Probability in [0, 1] that a matching request (or report, or callback) meets it.
        route: A route template (`/v3/voice/{account}/cdr`) or a glob over the path
            (`/v3/files/*`); None for every route.
        method: An HTTP method; None for all.
        count: Stop after firing this many times; None for no limit.
        params: The kind's parameters (defaults filled in).
        fired: How many times it has fired.

    .. versionadded:: 0.1.0
    """

    kind: str
    rate: float
    route: str | None
    method: str | None
    count: int | None
    params: dict[str, float]
    rng: random.Random = attrs.field(repr=False)
    fired: int = 0

    def matches(self, route: str | None, path: str | None, method: str | None) -> bool:
        """Whether the rule applies to a request on `route` (template) / `path`."""
        if self.method is not None and method is not None and self.method != method:
            return False
        if self.route is None:
            return True
        if route is not None and (route == self.route or fnmatch.fnmatchcase(route, self.route)):
            return True
        return path is not None and fnmatch.fnmatchcase(path, self.route)

    def roll(self) -> bool:
        """Roll the dice (always one draw, so sequences stay reproducible); not yet fired."""
        hit = self.rng.random() < self.rate
        return hit and (self.count is None or self.fired < self.count)


class Faults:
    """The sandbox's fault rules: `sandbox.faults`.

    .. versionadded:: 0.1.0
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._rules: list[Fault] = []
        self._created = 0
        self._lock = threading.Lock()
        self._jitter = random.Random(f"{seed}:jitter")  # noqa: S311
        #: Faults fired, by kind.
        self.fired: Counter[str] = Counter()

    def __iter__(self) -> Any:
        return iter(list(self._rules))

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"<Faults {self._rules!r}>"

    def add(
        self,
        kind: FaultKind | str,
        rate: float = 1.0,
        *,
        route: str | None = None,
        method: str | None = None,
        count: int | None = None,
        **params: float,
    ) -> Fault:
        """Add a fault rule.

        Kinds and their parameters (defaults in brackets):

        - `latency`: delay the response `seconds` [0.1] plus up to `jitter` [0] (real time).
        - `error`: answer with HTTP `status` [500] (use 500, 502 or 503).
        - `rate_limit`: answer 429 with `Retry-After: retry_after` [1].
        - `reset`: drop the connection before any response.
        - `truncate`: send the headers and `fraction` [0.5] of the body, then drop the
          connection.
        - `slow_body`: send the body in `chunks` [10] pieces over `seconds` [1.0].
        - `slow_report`: report generation takes `factor` [10] times longer plus `extra` [0]
          sandbox seconds.
        - `early_expiry`: the ready file expires after `after` [10] sandbox seconds, not 300.
        - `callback_lost`: the report callback is never sent.
        - `callback_delay`: the callback is sent `seconds` [60] sandbox seconds late.
        - `callback_duplicate`: the callback is sent `copies` [2] times.

        Args:
            kind: One of the kinds above.
            rate: Probability of firing on each match, in [0, 1].
            route: Route template or path glob; None matches everything. For report and
                callback faults it is matched against the report request's route.
            method: HTTP method to match, e.g. `GET`; None matches all.
            count: Fire at most this many times.
            **params: The kind's parameters.

        Returns:
            The rule (keep it to `remove()` it or read `fired`).

        Raises:
            ValueError: An unknown kind or parameter, or a rate outside [0, 1].
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(FAULT_KINDS)}")
        defaults = FAULT_KINDS[kind]
        unknown = set(params) - set(defaults)
        if unknown:
            raise ValueError(f"fault {kind!r} takes {sorted(defaults)}, not {sorted(unknown)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")
        if count is not None and count < 0:
            raise ValueError(f"count must be >= 0, got {count!r}")
        if kind == "error" and not 500 <= params.get("status", 500) <= 599:  # noqa: PLR2004
            raise ValueError("an error fault's status must be a 5xx")
        with self._lock:
            self._created += 1
            fault = Fault(
                kind=kind,
                rate=float(rate),
                route=route,
                method=method.upper() if method else None,
                count=count,
                params={**defaults, **{k: float(v) for k, v in params.items()}},
                rng=random.Random(f"{self._seed}:{self._created}:{kind}"),  # noqa: S311
            )
            self._rules.append(fault)
        return fault

    def jitter(self) -> float:
        """A seeded draw in [0, 1) for latency jitter."""
        with self._lock:
            return self._jitter.random()

    def remove(self, fault: Fault) -> None:
        """Remove a rule (no error if it is already gone)."""
        with self._lock:
            self._rules = [f for f in self._rules if f is not fault]

    def clear(self) -> None:
        """Remove every rule and forget the fired counts."""
        with self._lock:
            self._rules = []
            self.fired.clear()

    def draw(
        self,
        kinds: frozenset[str],
        *,
        route: str | None,
        path: str | None = None,
        method: str | None = None,
    ) -> list[Fault]:
        """The rules of `kinds` that match and fire this time, in the order they were added.

        Every matching rule rolls its dice, but a rule whose effect is pre-empted by an earlier
        one (a second error, or a delay after a lost callback) does not fire or count.
        """
        if not self._rules:
            return []
        hits = []
        excluded: frozenset[str] = frozenset()
        with self._lock:
            for fault in self._rules:
                if fault.kind not in kinds or not fault.matches(route, path, method):
                    continue
                if fault.roll() and fault.kind not in excluded:
                    fault.fired += 1
                    self.fired[fault.kind] += 1
                    hits.append(fault)
                    excluded |= _EXCLUDES.get(fault.kind, frozenset())
        return hits


def parse_fault(spec: str) -> dict[str, Any]:
    """Parse the CLI's `--fault` syntax into `Faults.add` arguments.

    `KIND[:RATE][,key=value...]`, where keys are `route`, `method`, `count` or the kind's
    parameters, e.g. `error:0.05,status=503,route=/v3/voice/*` or `latency,seconds=0.02`.

    Raises:
        ValueError: The spec is malformed.
    """
    head, *pairs = spec.split(",")
    kind, _, rate = head.partition(":")
    args: dict[str, Any] = {"kind": kind.strip(), "rate": float(rate) if rate else 1.0}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"expected key=value in fault spec, got {pair!r}")
        key = key.strip()
        if key in ("route", "method"):
            args[key] = value.strip()
        elif key == "count":
            args[key] = int(value)
        else:
            args[key] = float(value)
    return args
