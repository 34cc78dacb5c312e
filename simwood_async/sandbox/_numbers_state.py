"""The sandbox's number inventory: available pools by tier, allocations and per-number settings.

Everything is derived from the seed: the same seed gives the same available numbers, prices and
blocks. Allocating moves a number from the available pool to the account's allocated numbers
(a gold number's fee is debited from the prepay balance); releasing drops it and its settings.
Numbers are in Ofcom's and NANP's fiction ranges, so none of them can ring a real phone.
"""

from __future__ import annotations

import fnmatch
import hashlib
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AvailableEntry", "NumberInventory"]

#: (country code, national prefix, description, chargeband, count, gold every nth, sms).
_POOLS: Final = (
    ("44", "1134960", "Geographic - Leeds", "geo", 100, 5, False),
    ("44", "2079460", "Geographic - London", "geo", 100, 1, False),
    ("44", "1632960", "Geographic - Fictional", "geo", 100, 7, False),
    ("44", "3069990", "Non-Geographic - 03", "uan", 100, 9, False),
    ("44", "770090", "Mobile - OTT", "mobile", 1000, 1, True),
    ("1", "2125550", "NANP - New York", "nanp", 100, 10, False),
)
_GOLD_FEES: Final = (Decimal("2.5000"), Decimal("5.0000"), Decimal("25.0000"))


@attrs.define
class AvailableEntry:
    """A number in a pool (national digits) with its tier and fee.

    .. versionadded:: 0.1.0
    """

    country_code: str
    number: str
    gold: bool
    fee: Decimal
    block: str
    sms: bool
    description: str
    chargeband: str

    @property
    def e164(self) -> str:
        """E.164 without `+`."""
        return self.country_code + self.number


class NumberInventory:
    """Available and allocated numbers of the account, and each number's settings.

    The sandbox's own state (`Sandbox.numbers`), keyed by E.164 number: tests may read it, and
    `take()` a number to stage a race with another customer.

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, seed: int, account: str) -> None:
        self.seed = seed
        self.account = account
        self.lock = threading.RLock()
        self.available: dict[str, AvailableEntry] = {}
        self.allocated: dict[str, AvailableEntry] = {}
        self.allocated_at: dict[str, float] = {}
        self.configs: dict[str, Any] = {}
        self.default_config: Any = None
        self.trunks: dict[str, str] = {}
        self.sms: dict[str, dict[str, str]] = {}
        self.emergency: dict[str, dict[str, str]] = {}
        for cc, prefix, description, band, count, every, sms in _POOLS:
            for n in range(count):
                national = f"{prefix}{n:0{10 - len(prefix)}d}"
                h = self.digest(national)
                gold = (n % every == 0) if every > 1 else True
                self.available[cc + national] = AvailableEntry(
                    country_code=cc,
                    number=national,
                    gold=gold,
                    fee=_GOLD_FEES[h % len(_GOLD_FEES)] if gold else Decimal("0.0000"),
                    block=f"{h:032x}"[-32:],
                    sms=sms,
                    description=description,
                    chargeband=band,
                )
        # The account starts with one number of each UK pool, which have had calls.
        held = [cc + f"{prefix}{5:0{10 - len(prefix)}d}" for cc, prefix, *_ in _POOLS if cc == "44"]
        for e164 in held:
            self.allocated[e164] = self.available.pop(e164)
            self.allocated_at[e164] = 0.0

    def digest(self, text: str) -> int:
        """A seeded hash of `text` (stable per seed)."""
        digest = hashlib.md5(f"{self.seed}:{text}".encode(), usedforsecurity=False)
        return int(digest.hexdigest(), 16)

    def search(self, tier: str, country_code: str, pattern: str | None) -> list[AvailableEntry]:
        """Available numbers of a tier matching a national pattern, cheapest first."""
        found = [
            e
            for e in self.available.values()
            if e.country_code == country_code
            and (tier == "all" or e.gold == (tier == "gold"))
            and (pattern is None or _matches(pattern, e.number))
        ]
        return sorted(found, key=lambda e: (e.fee, e.number))

    def consecutive(self, count: int, pattern: str | None) -> list[AvailableEntry]:
        """The first run of `count` consecutive available UK numbers matching `pattern`."""
        uk = sorted(
            (e for e in self.available.values() if e.country_code == "44"),
            key=lambda e: int(e.number),
        )
        run: list[AvailableEntry] = []
        for entry in uk:
            if run and int(entry.number) != int(run[-1].number) + 1:
                run = []
            run.append(entry)
            if len(run) == count and (pattern is None or _matches(pattern, run[0].number)):
                return run
            if len(run) == count:
                run.pop(0)
        return []

    def allocate(self, e164: str, now: float, charge: Callable[[Decimal, str], None]) -> bool:
        """Move an available number to the account (charging a gold fee); False if unavailable."""
        with self.lock:
            entry = self.available.pop(e164, None)
            if entry is None:
                return False
            self.allocated[e164] = entry
            self.allocated_at[e164] = now
        if entry.gold:
            charge(entry.fee, f"gold number activation {e164}")
        return True

    def take(self, e164: str) -> bool:
        """Remove an available number as if another customer had allocated it (for tests)."""
        with self.lock:
            return self.available.pop(e164, None) is not None

    def release(self, e164: str) -> bool:
        """Drop an allocated number and all its settings; False if not allocated."""
        with self.lock:
            if self.allocated.pop(e164, None) is None:
                return False
            for settings in (self.configs, self.trunks, self.sms, self.emergency):
                settings.pop(e164, None)
            self.allocated_at.pop(e164, None)
            return True


def _matches(pattern: str, number: str) -> bool:
    """The API's wildcard match: `*` is any run of digits; otherwise a prefix match."""
    glob = pattern if "*" in pattern else pattern + "*"
    return fnmatch.fnmatchcase(number, glob)
