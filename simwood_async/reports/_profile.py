"""`ReportProfile`: what a client learned about report generation times, saved and reloaded.

See "Persistence" in `simwood_async.reports._policy`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from simwood_async import _json
from simwood_async.exceptions import InvalidInputError
from simwood_async.reports._policy import SNAPSHOT_VERSION, GenerationModel

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ReportProfile", "save_profile"]

logger = logging.getLogger("simwood_async")


class ReportProfile:
    """The learned generation-time models of every report kind: to save, reload and share.

    `ReportOptions(profile="~/.cache/simwood/reports.json")` makes a client start from the
    file and save to it when it closes, so a new process starts warm. For another store (e.g.
    Redis), `snapshot()` gives a JSON-ready dict and `restore()` takes one.

    Args:
        path: The file to load from (when first used) and `save()` to; None for none.
        prior_strength: As for `GenerationModel` (for kinds not in the file).
        memory: As for `GenerationModel`.

    .. versionadded:: 0.2.0
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        prior_strength: float = 2.0,
        memory: int = 200,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self._strength = prior_strength
        self._memory = memory
        self._models: dict[str, GenerationModel] = {}
        self._loaded = self.path is None

    def __repr__(self) -> str:
        return f"<ReportProfile path={str(self.path)!r} kinds={sorted(self._models)}>"

    def model(self, kind: str) -> GenerationModel:
        """The model of a report kind (from the file, if it has one; else a fresh one)."""
        if not self._loaded:
            self._loaded = True
            self._load()
        model = self._models.get(kind)
        if model is None:
            model = GenerationModel(prior_strength=self._strength, memory=self._memory)
            self._models[kind] = model
        return model

    def snapshot(self) -> dict[str, Any]:
        """Every kind's `GenerationModel.snapshot()`, as one JSON-ready dict."""
        if not self._loaded:  # never save over a file without having read it
            self._loaded = True
            self._load()
        kinds = {kind: model.snapshot() for kind, model in sorted(self._models.items())}
        return {"version": SNAPSHOT_VERSION, "kinds": kinds}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Load a `snapshot()`: each kind it has replaces what this profile learned of it.

        Raises:
            InvalidInputError: Not a profile snapshot (nothing is changed).
        """
        try:
            kinds = dict(snapshot["kinds"])
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInputError(f"not a report profile: {err!r}") from err
        models = {}
        for kind, data in kinds.items():
            model = GenerationModel(prior_strength=self._strength, memory=self._memory)
            model.restore(data)
            models[str(kind)] = model
        self._loaded = True
        for kind, model in models.items():
            self.model(kind).restore(model.snapshot())

    def _load(self) -> None:
        assert self.path is not None  # noqa: S101 - only called with a path
        try:
            data = _json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as err:
            logger.warning("report profile %s not loaded (starting afresh): %s", self.path, err)
            return
        try:
            self.restore(data)
        except InvalidInputError as err:
            logger.warning("report profile %s not loaded (starting afresh): %s", self.path, err)

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write the profile to `path` (default: its own), atomically (temporary file, rename).

        Raises:
            InvalidInputError: No path, or it cannot be written.
        """
        target = Path(path).expanduser() if path is not None else self.path
        if target is None:
            raise InvalidInputError("ReportProfile.save() needs a path (the profile has none)")
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(_json.dumps(self.snapshot()))
            temporary.replace(target)
        except OSError as err:
            temporary.unlink(missing_ok=True)
            raise InvalidInputError(
                f"cannot write the report profile {str(target)!r}: {err}"
            ) from err


async def save_profile(profile: ReportProfile | None) -> None:
    """Save a profile that has a file, when its client closes (a failure is only logged)."""
    if profile is None or profile.path is None:
        return
    with anyio.CancelScope(shield=True):
        try:
            await anyio.to_thread.run_sync(profile.save)
        except InvalidInputError as err:
            logger.warning("report profile not saved: %s", err)
