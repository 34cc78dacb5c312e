"""The fast path from JSON to typed rows: CDR pages and report bodies.

cattrs' generated structure functions call one hook per field through a dispatch table and
collect optional fields in a dict before calling the class. For the hot bulk rows
(`VoiceCdr`, `SmsCdr`, the report rows) that costs more than parsing the JSON. This module
compiles, once per converter and model, a function specialised to the model's fields and to
the converter's hooks: exact-type values that the converter's hook would return unchanged
(a `str` for a `str` field, an `int` for an `int` field, ...) are taken as they are, every
other value goes through the converter's own hook, and the class is called once.

Correctness is by construction: the compiled function only ever takes a shortcut where the
converter's hook is known to return the value unchanged, and on *any* exception it hands the
row to the converter's regular (cattrs-generated) function, so errors, strict mode and
detailed validation are exactly the converter's. `install_fast_structure` registers the
compiled function on a converter, so every path (`converter.structure`, the API areas, the
bulk puller, the report engine) gets it.
"""

from __future__ import annotations

import datetime as dt
import functools
import linecache
import operator
import types
import typing
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from cattrs.converters import BaseConverter

from simwood_async import _converter, _json
from simwood_async._area import unwrap

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cattrs import Converter

__all__ = ["RowDecoder", "compile_structure_fn", "install_fast_structure"]

T = TypeVar("T")
StructureFn = typing.Callable[[Any, Any], Any]

# Hooks of `_converter` that return a value of exactly this type unchanged.
_IDENTITY_HOOKS: dict[Any, type] = {
    _converter._structure_str: str,  # noqa: SLF001 - same package, read-only
    _converter._structure_int: int,  # noqa: SLF001
    _converter._structure_bool: bool,  # noqa: SLF001
}
_MISSING = object()


def _optional_inner(tp: Any) -> Any | None:
    """`X` for `X | None` (or `Optional[X]`), else None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:  # noqa: PLR2004 - X and None
        return None
    return args[0] if args[1] is type(None) else args[1]


def _plain_slots(cls: type) -> bool:
    """Whether instances can be built by assigning every field, exactly as `__init__` does.

    True for a non-frozen attrs class with no validators, converters, `__attrs_pre_init__`
    or `__attrs_post_init__`: its `__init__` only assigns the arguments.
    """
    kind: Any = cls
    return (
        kind.__setattr__ is object.__setattr__
        and kind.__new__ is object.__new__
        and type(kind).__call__ is type.__call__
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
        and all(f.validator is None and f.converter is None for f in attrs.fields(cls))
    )


class _Compiler:
    """Builds the source of the structure functions for one class and what they close over."""

    def __init__(self, converter: Converter) -> None:
        self.converter = converter
        self.names: dict[str, Any] = {"_new": object.__new__}

    def bind(self, prefix: str, value: Any) -> str:
        name = f"_{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def convert(self, var: str, tp: Any, indent: str) -> list[str]:
        """Lines that turn the wire value in `var` into a `tp`, in place."""
        hook = self.converter.get_structure_hook(tp)
        inner = _optional_inner(tp)
        if inner is not None and getattr(hook, "__func__", None) is (
            BaseConverter._structure_optional  # noqa: SLF001 - identifying cattrs' own hook
        ):
            exact = _IDENTITY_HOOKS.get(self.converter.get_structure_hook(inner))
            if exact is inner:
                cls = self.bind("c", exact)
                h, t = (
                    self.bind("h", self.converter.get_structure_hook(inner)),
                    self.bind("t", inner),
                )
                return [
                    f"{indent}if {var}.__class__ is not {cls} and {var} is not None:",
                    f"{indent}    {var} = {h}({var}, {t})",
                ]
            return [f"{indent}if {var} is not None:", *self.convert(var, inner, indent + "    ")]
        h, t = self.bind("h", hook), self.bind("t", tp)
        exact = _IDENTITY_HOOKS.get(hook)
        if exact is not None and exact is tp:
            cls = self.bind("c", exact)
            return [
                f"{indent}if {var}.__class__ is not {cls}:",
                f"{indent}    {var} = {h}({var}, {t})",
            ]
        if hook is _converter._structure_decimal and tp is Decimal:  # noqa: SLF001
            # What the hook returns for a string: `Decimal(text)`; a bad one raises.
            dec = self.bind("c", Decimal)
            return [f"{indent}{var} = {dec}({var}) if {var}.__class__ is str else {h}({var}, {t})"]
        if hook is _converter._structure_gmt:  # noqa: SLF001
            # The wire form `YYYY-MM-DD hh:mm:ss`, as `parse_wire_datetime` parses it; a value
            # that is not (a zero date, a bad day) raises and the converter decides.
            iso = self.bind("c", dt.datetime.fromisoformat)
            return [
                f"{indent}if {var}.__class__ is str and len({var}) == 19 and {var}[10] == ' ':",
                f"{indent}    {var} = {iso}({var} + '+00:00')",
                f"{indent}else:",
                f"{indent}    {var} = {h}({var}, {t})",
            ]
        return [f"{indent}{var} = {h}({var}, {t})"]

    def build(self, cls: type, fields: Any, wire_keys: list[str], *, all_present: bool) -> str:
        """The body of one structure function (`o` is the row)."""
        lines = []
        for index, (field, key) in enumerate(zip(fields, wire_keys, strict=True)):
            var = f"a{index}"
            if all_present or field.default is attrs.NOTHING:
                if not all_present:
                    lines.append(f"{var} = o[{key!r}]")
                lines.extend(self.convert(var, field.type, ""))
                continue
            missing = self.bind("m", _MISSING)
            if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                default = f"{self.bind('f', field.default.factory)}()"
            else:
                default = self.bind("d", field.default)
            lines.append(f"{var} = o.get({key!r}, {missing})")
            lines.append(f"if {var} is {missing}:")
            lines.append(f"    {var} = {default}")
            lines.append("else:")
            lines.extend(self.convert(var, field.type, "    "))
        cl = self.bind("cl", cls)
        if _plain_slots(cls):
            lines.append(f"obj = _new({cl})")
            lines.extend(f"obj.{f.name} = a{i}" for i, f in enumerate(fields))
            lines.append("return obj")
        else:
            args = ", ".join(f"{f.alias}=a{i}" for i, f in enumerate(fields))
            lines.append(f"return {cl}({args})")
        return "\n".join("        " + line for line in lines)


def compile_structure_fn(
    cls: type[T],
    converter: Converter,
    *,
    renames: Mapping[str, str] | None = None,
    fallback: StructureFn | None = None,
) -> Callable[[Any, Any], T] | None:
    """Compile a structure function for an attrs class, specialised to the converter's hooks.

    Two functions are compiled: one for rows that carry every key (all fetched in one
    `itemgetter` call), and one that fills in defaults for missing keys. Any exception in
    either hands the row to `fallback`, so errors are always the converter's own.

    Args:
        cls: An attrs class whose fields are all `__init__` arguments.
        converter: The converter whose hooks (and `forbid_extra_keys`) to follow.
        renames: Field name -> wire key, where they differ.
        fallback: The converter's regular function for `cls`. Default: the converter's
            current hook for `cls`.

    Returns:
        `(row, cls) -> instance`, or None if the class has a shape this compiler leaves to
        cattrs (fewer than two fields, fields not in `__init__`, defaults computed from
        `self`).
    """
    renames = renames or {}
    fallback = fallback or converter.get_structure_hook(cls)
    model: Any = cls
    attrs.resolve_types(model)
    fields = attrs.fields(model)
    if len(fields) < 2 or any(  # noqa: PLR2004 - `itemgetter` returns a tuple from two keys
        not f.init or (isinstance(f.default, attrs.Factory) and f.default.takes_self)  # type: ignore[arg-type]
        for f in fields
    ):
        return None
    comp = _Compiler(converter)
    wire_keys = [renames.get(f.name, f.name) for f in fields]
    fb, get = comp.bind("fb", fallback), comp.bind("get", operator.itemgetter(*wire_keys))
    strict = ""
    if getattr(converter, "forbid_extra_keys", False):
        known = comp.bind("k", frozenset(wire_keys))
        strict = f"        if not o.keys() <= {known}:\n            raise KeyError\n"
    partial, full = "_structure_partial", f"structure_{cls.__name__}_fast"
    args = ", ".join(f"a{i}" for i in range(len(fields)))
    source = (
        f"def {partial}(o, cl):\n"
        f"    try:\n{strict}{comp.build(cls, fields, wire_keys, all_present=False)}\n"
        f"    except Exception:\n"
        f"        return {fb}(o, cl)\n"
        f"\n"
        f"def {full}(o, cl=None):\n"
        f"    try:\n"
        f"        {args} = {get}(o)\n"
        f"    except Exception:  # a key is missing (or `o` is no dict)\n"
        f"        return {partial}(o, cl)\n"
        f"    try:\n{strict}{comp.build(cls, fields, wire_keys, all_present=True)}\n"
        f"    except Exception:\n"
        f"        return {fb}(o, cl)\n"
    )
    filename = f"<simwood_async fast structure {cls.__module__}.{cls.__qualname__}>"
    # Registered so tracebacks through the compiled functions show their source.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace = dict(comp.names)
    exec(_compile(source, filename), namespace)  # noqa: S102 - our own generated code
    fn: Callable[[Any, Any], T] = namespace[full]
    return fn


@functools.lru_cache(maxsize=64)
def _compile(source: str, filename: str) -> types.CodeType:
    # The source depends only on the model and on which hooks the converter has, so every
    # client's converter reuses the code; only the names it closes over are its own.
    return compile(source, filename, "exec")


def install_fast_structure(
    converter: Converter,
    cls: type[Any],
    renames: Mapping[str, str] | None = None,
    *,
    lazy: bool = False,
) -> bool:
    """Register a compiled structure function for `cls` on `converter`.

    The converter's current hook for `cls` becomes the fallback, so it must be registered
    (e.g. with the wire renames) before this is called.

    Args:
        converter: The converter to register on.
        cls: The row model.
        renames: Field name -> wire key, where they differ.
        lazy: Compile on the first row instead of now (so building a converter, hence a
            client, stays cheap); the compiled function then replaces the placeholder.

    Returns:
        Whether a compiled function was (or, if lazy, will be) installed; False means the
        class keeps cattrs' hook.
    """
    if not lazy:
        fn = compile_structure_fn(cls, converter, renames=renames)
        if fn is None:
            return False
        converter.register_structure_hook(cls, fn)
        return True
    converter.register_structure_hook(cls, _LazyStructure(converter, cls, renames))
    return True


class _LazyStructure:
    """The hook `install_fast_structure(lazy=True)` registers: compiles on first use."""

    __slots__ = ("_cls", "_compiled", "_converter", "_fallback", "_renames")

    def __init__(self, converter: Converter, cls: type, renames: Mapping[str, str] | None) -> None:
        self._converter = converter
        self._cls = cls
        self._renames = renames
        self._fallback: StructureFn = converter.get_structure_hook(cls)
        self._compiled: StructureFn | None = None

    def resolve(self) -> StructureFn:
        """The compiled function (compiled and registered in place of this on first call)."""
        if self._compiled is None:
            fn: StructureFn | None = compile_structure_fn(
                self._cls, self._converter, renames=self._renames, fallback=self._fallback
            )
            self._compiled = fn or self._fallback
            self._converter.register_structure_hook(self._cls, self._compiled)
        return self._compiled

    def __call__(self, o: Any, cl: Any = None) -> Any:
        return (self._compiled or self.resolve())(o, cl)


class RowDecoder(Generic[T]):
    """Decodes a JSON array of rows (a CDR page, a report body) into typed rows.

    Build one per model and converter and reuse it: it looks the converter's hook up once.
    The rows are exactly what `converter.structure(rows, list[cls])` returns.

    ```python
    decode = RowDecoder(VoiceCdr, client.converter)
    cdrs = decode(response.content)
    ```

    Args:
        cls: The row model.
        converter: The converter (ideally one with `install_fast_structure` applied for `cls`,
            as `make_converter()` does for the CDR and report rows).
    """

    __slots__ = ("_cls", "_converter", "_list_type", "_row")

    def __init__(self, cls: type[T], converter: Converter) -> None:
        self._cls = cls
        self._converter = converter
        row: StructureFn = converter.get_structure_hook(cls)
        if isinstance(row, _LazyStructure):
            row = row.resolve()  # now, rather than one extra call per row
        self._row = row
        self._list_type: Any = list[cls]  # type: ignore[valid-type]

    def __repr__(self) -> str:
        return f"<RowDecoder {self._cls.__name__}>"

    def __call__(self, content: bytes | str) -> list[T]:
        """Parse a JSON body (a bare array, or `{"success": true, "data": [...]}`) into rows.

        Raises:
            ValueError: The body is not JSON (orjson's and the standard library's decode
                errors are both ValueErrors).
            TypeError: The body is not an array.
            Exception: A row does not fit the model (the converter's own error).
        """
        rows = unwrap(_json.loads(content))
        if not isinstance(rows, list):
            raise TypeError(f"expected a JSON array of rows, got {type(rows).__name__}")
        return self.structure(rows)

    def structure(self, rows: list[Any]) -> list[T]:
        """Structure already-decoded rows (a list of dicts).

        Raises:
            Exception: A row does not fit the model (the converter's own error, with
                cattrs' detailed validation if the converter has it on).
        """
        if self._converter.detailed_validation:
            # Errors must name the row index: let cattrs iterate.
            result: list[T] = self._converter.structure(rows, self._list_type)
            return result
        row, cls = self._row, self._cls
        return [row(item, cls) for item in rows]
