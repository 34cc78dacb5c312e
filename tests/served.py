"""A sandbox served in a child process, as `python -m simwood_async.sandbox` serves it."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def served_sandbox(*options: str, env: Mapping[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Serve a sandbox on a free loopback port (with `options`); yield its printed coordinates.

    The coordinates are the `--json` line: `base_url`, `account`, `username`, `password`. The
    process is stopped when the block ends.
    """
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "simwood_async.sandbox", "--port", "0", "--json", *options],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
