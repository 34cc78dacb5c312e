"""The public surface: every package's `__all__` is real, sorted and documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import TYPE_CHECKING

import pytest

import simwood_async

if TYPE_CHECKING:
    from types import ModuleType


def _public_modules() -> list[str]:
    """`simwood_async` and every public (non-underscore) module or package below it."""
    names = [
        info.name
        for info in pkgutil.walk_packages(simwood_async.__path__, "simwood_async.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return sorted(["simwood_async", *names])


PUBLIC_MODULES = _public_modules()


def _sort_key(name: str) -> tuple[int, str]:
    """Ruff's `__all__` order (RUF022): CONSTANTS, then Classes, then everything else."""
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _module(name: str) -> ModuleType:
    """Import a module by its dotted name."""
    return importlib.import_module(name)


def test_the_core_areas_are_public_modules():
    """The first API areas and the error module are among the public modules checked here."""
    for name in ("accounts", "exceptions", "rates", "tools", "voice"):
        assert f"simwood_async.{name}" in PUBLIC_MODULES


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_declared_sorted_and_unique(name):
    """Each public module declares `__all__`, sorted the way ruff sorts it, without repeats."""
    module = _module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_sort_key)
    assert len(set(exported)) == len(exported)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_exported_name_exists(name):
    """Every name in `__all__` is an attribute of its module."""
    module = _module(name)
    missing = [member for member in module.__all__ if not hasattr(module, member)]
    assert missing == []


def _undocumented(obj: object) -> list[str]:
    """The public classes, functions, methods and properties under `obj` lacking a docstring."""
    missing: list[str] = []
    if inspect.isclass(obj):
        if not (obj.__doc__ or "").strip():
            missing.append(obj.__qualname__)
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            target = value.fget if isinstance(value, property) else value
            if isinstance(target, (staticmethod, classmethod)):
                target = target.__func__
            if inspect.isfunction(target) and not (target.__doc__ or "").strip():
                missing.append(f"{obj.__qualname__}.{attr}")
    elif inspect.isfunction(obj) and not (obj.__doc__ or "").strip():
        missing.append(obj.__qualname__)
    return missing


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_public_objects_have_docstrings(name):
    """Every exported class and function, and their public methods, have docstrings."""
    module = _module(name)
    assert (module.__doc__ or "").strip(), f"{name} has no module docstring"
    missing = [m for member in module.__all__ for m in _undocumented(getattr(module, member))]
    assert missing == []


def test_exceptions_are_reexported_at_the_top():
    """Every error class in `simwood_async.exceptions` is importable from `simwood_async`."""
    from simwood_async import exceptions  # noqa: PLC0415

    for member in exceptions.__all__:
        assert getattr(simwood_async, member) is getattr(exceptions, member)


def test_area_classes_are_reexported():
    """The client's area namespaces are public classes of their packages."""
    from simwood_async import accounts, rates, tools, voice  # noqa: PLC0415

    assert "AccountsApi" in accounts.__all__
    assert "RatesApi" in rates.__all__
    assert "ToolsApi" in tools.__all__
    assert "VoiceApi" in voice.__all__


def test_version_is_a_string():
    """`__version__` is exported and is a version string."""
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", simwood_async.__version__)
