"""The checkpoint sidecar of a CDR file: which windows are finished, and the size at that point.

`cdrs.jsonl` gets `cdrs.jsonl.checkpoint.json`, replaced atomically (write a temporary file,
fsync, rename) after every finished window, once the rows before it are on disk. A resumed
pull truncates the file back to the recorded size, so a window cut off half way is fetched
and written again from its start: nothing is fetched twice that was finished, and no row is
written twice.
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

__all__ = ["Checkpoint", "checkpoint_path", "load_checkpoint", "remove_checkpoint"]

_VERSION: Final = 1


def checkpoint_path(path: Path) -> Path:
    """The sidecar of an output file."""
    return path.with_name(path.name + ".checkpoint.json")


@attrs.frozen(kw_only=True)
class Checkpoint:
    """What an interrupted pull needs to resume.

    Attributes:
        identity: The pull's parameters (account, range, filter, window, format): a
            checkpoint is only used by the same pull.
        until: The end the pull was planned with (so "up to now" means the same instant).
        done: Keys of the finished windows, in the order they were written.
        size: The output file's size after the last finished window.
    """

    identity: Mapping[str, str | None]
    until: str
    done: tuple[str, ...]
    size: int

    def save(self, path: Path) -> None:
        """Write the sidecar of `path` atomically."""
        target = checkpoint_path(path)
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


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The sidecar of `path`, or None if there is none or it cannot be used."""
    try:
        content = checkpoint_path(path).read_bytes()
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


def remove_checkpoint(path: Path) -> None:
    """Delete the sidecar of `path`, if any."""
    with contextlib.suppress(FileNotFoundError):
        checkpoint_path(path).unlink()
