"""Finding secrets: every text an object exposes, searched for the password and the header.

The module is also a pytest plugin (its hooks are imported by `tests/conftest.py`): every log
record emitted during any test, every test's exception (with its whole chain) and every warning
is scanned, and a test that leaks the credentials fails.

`texts_of` walks an exception's whole chain (`__cause__`, `__context__`, group members) and,
for each object met, its `str`, `repr`, `args`, traceback and the `repr` of its attributes,
recursively (a few levels deep), so a secret held by a chained library exception's request
object is found even when no message shows it.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import traceback
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import warnings

# The suite's credentials (`tests.conftest` re-exports them with the hooks).
USERNAME = "api-user"
PASSWORD = "pw-Zq8vX3-never-log-me"
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


# -- the suite-wide watch (hooks imported by tests/conftest.py) ---------------------------------


class _LeakWatch(logging.Handler):
    """Collects the secrets found in log records emitted during a test."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Scan the record's message and any exception it carries."""
        try:
            texts = [record.getMessage(), repr(record.args)]
        except Exception:  # noqa: BLE001 - a record that cannot format is not ours to judge
            texts = [str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            texts += texts_of(record.exc_info[1])
        for text in texts:
            self.found += [
                f"log record {record.name}:{record.levelname}" for s in SECRETS if s in text
            ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Watch the log records of every test for the test credentials."""
    watch = _LeakWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        return (yield)
    finally:
        root.removeHandler(watch)
        if watch.found:
            item.user_properties.append(("secrets_found", watch.found))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Fail a test whose log records, exception chain or warnings carry a credential."""
    report = yield
    if call.when != "call":
        return report
    found = [
        where for key, value in item.user_properties if key == "secrets_found" for where in value
    ]
    if call.excinfo is not None and secrets_in(call.excinfo.value):
        found.append(f"the test's exception ({call.excinfo.typename}) or its chain")
    if found:
        report.outcome = "failed"
        report.longrepr = f"a credential leaked into: {sorted(set(found))}"
    return report


def pytest_warning_recorded(warning_message: warnings.WarningMessage, **kwargs: Any) -> None:
    """A warning that shows a credential fails the run."""
    del kwargs
    text = f"{warning_message.message} {warning_message.filename}"
    assert not any(s in text for s in SECRETS), "a credential leaked into a warning"
