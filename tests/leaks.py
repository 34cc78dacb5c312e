"""Finding secrets: every text an object exposes, searched for the password and the header.

`texts_of` walks an exception's whole chain (`__cause__`, `__context__`, group members) and,
for each object met, its `str`, `repr`, `args`, traceback and the `repr` of its attributes,
recursively (a few levels deep), so a secret held by a chained library exception's request
object is found even when no message shows it.
"""

from __future__ import annotations

import base64
import contextlib
import traceback
from typing import Any

from tests.conftest import PASSWORD, USERNAME

TOKEN = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
#: Every form the credentials take on the wire or in memory.
SECRETS = (PASSWORD, TOKEN, f"{USERNAME}:{PASSWORD}", f"Basic {TOKEN}")
_MAX_DEPTH = 4
_SCALARS = (str, bytes, int, float, bool, type(None))


def _attributes(obj: Any) -> list[Any]:
    """The attribute values of `obj` (from `__dict__` and `__slots__`)."""
    values: list[Any] = []
    with contextlib.suppress(TypeError):
        values += list(vars(obj).values())
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()) or ():
            if isinstance(name, str) and hasattr(obj, name):
                values.append(getattr(obj, name, None))
    return values


def texts_of(obj: Any) -> list[str]:
    """Every text `obj` exposes (see the module docstring)."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        current, depth = stack.pop()
        if id(current) in seen or depth > _MAX_DEPTH:
            continue
        seen.add(id(current))
        if isinstance(current, (str, bytes)):
            texts.append(current if isinstance(current, str) else current.decode("latin-1"))
            continue
        if isinstance(current, _SCALARS):
            continue
        try:
            texts.append(repr(current))
            texts.append(str(current))
        except Exception:  # noqa: BLE001, S112 - an object that cannot print shows nothing
            continue
        if isinstance(current, BaseException):
            texts.append("".join(traceback.format_exception(current)))
            # The chain itself is not a level deeper.
            chain = (current.__cause__, current.__context__, *current.args)
            stack += [(nested, depth) for nested in chain]
            stack += [(member, depth) for member in getattr(current, "exceptions", None) or ()]
        if isinstance(current, dict):
            stack += [(v, depth + 1) for v in (*current.keys(), *current.values())]
        elif isinstance(current, (list, tuple, set, frozenset)):
            stack += [(v, depth + 1) for v in current]
        elif not callable(current) or isinstance(current, BaseException):
            stack += [(v, depth + 1) for v in _attributes(current)]
    return texts


def secrets_in(obj: Any) -> list[str]:
    """The secrets (by kind) found anywhere in what `obj` exposes."""
    found = []
    for text in texts_of(obj):
        found += [secret for secret in SECRETS if secret in text]
    return found


def assert_clean(obj: Any, where: str) -> None:
    """Fail if any form of the credentials is found in what `obj` exposes."""
    assert not secrets_in(obj), f"a secret was found in {where}"
