"""The checkpoint sidecar of a CDR file: which windows are finished, and the size at that point.

A pull to `cdrs.jsonl` writes `cdrs.jsonl.partial` beside it and replaces `cdrs.jsonl` with it
only when the pull completes, so a failed pull never damages an earlier complete file. The
partial file gets `cdrs.jsonl.checkpoint.json`, replaced atomically (write a temporary file,
fsync, rename) after every finished window, once the rows before it are on disk. It records the
pull's plan (the range as asked for, and its end as planned), so rerunning the same pull
resumes that range even after midnight, and a different range is refused rather than silently
starting afresh. A resumed pull truncates the partial file back to the recorded size, so a
window cut off half way is fetched and written again from its start: nothing is fetched twice
that was finished, and no row is written twice.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from simwood_async import _json

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "Checkpoint",
    "checkpoint_path",
    "complete_path",
    "describe_plan",
    "load_checkpoint",
    "partial_path",
    "remove_checkpoint",
]

#: 2: the output is written to `FILE.partial` and the identity holds the end as asked for.
_VERSION: Final = 2


def checkpoint_path(path: Path) -> Path:
    """The sidecar of an output file."""
    return path.with_name(path.name + ".checkpoint.json")


def complete_path(path: Path) -> Path:
    """Where a many-account run records a finished account's plan until every account is done."""
    return path.with_name(path.name + ".complete.json")


def partial_path(path: Path) -> Path:
    """Where a pull to `path` writes until it completes (then it replaces `path`)."""
    return path.with_name(path.name + ".partial")


def describe_plan(identity: Mapping[str, str | None]) -> str:
    """A recorded pull's range for messages, e.g. `2026-11-01T00:00:00+00:00 to now`."""
    end = identity.get("end") or "now"
    return f"{identity.get('start')} to {end}"


@attrs.frozen(kw_only=True)
class Checkpoint:
    """What an interrupted pull needs to resume.

    Attributes:
        identity: The pull's parameters (account, range as asked for, filter, window,
            format): a checkpoint is only used by the same pull.
        until: The end the pull was planned with (so "up to now" means the same instant).
        done: Keys of the finished windows, in the order they were written.
        size: The output file's size after the last finished window.
    """

    identity: Mapping[str, str | None]
    until: str
    done: tuple[str, ...]
    size: int

    def save(self, path: Path, *, complete: bool = False) -> None:
        """Write the sidecar of `path` (its `complete_path` if `complete`) atomically."""
        target = complete_path(path) if complete else checkpoint_path(path)
        temporary = target.with_name(target.name + ".tmp")
        data = {
            "version": _VERSION,
            "identity": dict(self.identity),
            "until": self.until,
            "done": list(self.done),
            "size": self.size,
        }
        with temporary.open("wb") as handle:
            handle.write(_json.dumps(data))
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)


def load_checkpoint(path: Path, *, complete: bool = False) -> Checkpoint | None:
    """The sidecar of `path` (its `complete_path` if `complete`), or None if unusable."""
    try:
        content = (complete_path(path) if complete else checkpoint_path(path)).read_bytes()
    except OSError:
        return None
    try:
        data: Any = _json.loads(content)
    except _json.JSONDecodeError:
        return None
    try:
        if data["version"] != _VERSION:
            return None
        return Checkpoint(
            identity=dict(data["identity"]),
            until=str(data["until"]),
            done=tuple(str(key) for key in data["done"]),
            size=int(data["size"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def remove_checkpoint(path: Path, *, complete: bool = False) -> None:
    """Delete the sidecar of `path` (its `complete_path` if `complete`), if any."""
    with contextlib.suppress(FileNotFoundError):
        (complete_path(path) if complete else checkpoint_path(path)).unlink()
