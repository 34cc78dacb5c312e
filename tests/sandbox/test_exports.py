"""The public surface of `simwood_async.sandbox` and `simwood_async.testing`."""

from __future__ import annotations

import inspect

import pytest

import simwood_async.sandbox
import simwood_async.testing


@pytest.mark.parametrize(
    "module", [simwood_async.sandbox, simwood_async.testing], ids=["sandbox", "testing"]
)
def test_all_is_sorted_and_exported(module):
    """`__all__` is sorted (constants, classes, functions) and documents every callable."""

    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert module.__all__ == sorted(module.__all__, key=order)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name


def test_repr_never_shows_the_password():
    """Neither the sandbox nor its client shows the password."""
    sandbox = simwood_async.sandbox.Sandbox(password="pw-very-secret-123")
    assert "pw-very-secret-123" not in repr(sandbox)
    assert "pw-very-secret-123" not in repr(sandbox.client())
    assert sandbox.password == "pw-very-secret-123"
