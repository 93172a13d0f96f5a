"""HostSnapshot <-> plain JSON-able values, driven by the dataclass fields and their types.

Fields whose name starts with "_" are caches and are not stored. Fields marked sparse
(model.SPARSE: provenance marks, a report's strace text) are written only when set, so a live
recording does not carry a null for each of them on every process, thread and fd. Decoding is
strict about shape (a wrong type raises FormatError) so a damaged or foreign frame is
reported, not half-loaded; a field with a default may be missing (an older recording, or a
sparse field left out) and takes its default.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache

from .. import model


class FormatError(ValueError):
    """The data is not a valid frame of this format."""


def encode(obj):
    if dataclasses.is_dataclass(obj):
        return _encoder(type(obj))(obj)
    if isinstance(obj, (list, tuple)):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    return obj


@cache
def _encoder(tp):
    """A generated encoder for dataclass TP: primitive fields copied as they are, nested
    values (dataclasses, lists, dicts) through encode()."""
    hints = _hints(tp)
    parts, sparse = [], []
    for f in _fields(tp):
        h = hints[f.name]
        base = next((a for a in typing.get_args(h) if a is not type(None)), h) \
            if typing.get_origin(h) in (typing.Union, types.UnionType) else h
        simple = base in (int, str, bool, float)
        value = f"o.{f.name}" if simple else f"enc(o.{f.name})"
        if f.metadata.get("sparse"):
            sparse.append(f"    if o.{f.name} is not None:\n        d[{f.name!r}] = {value}\n")
        else:
            parts.append(f"{f.name!r}: {value}")
    env = {"enc": encode}
    body = "    d = {" + ", ".join(parts) + "}\n" + "".join(sparse) + "    return d"
    exec("def e(o):\n" + body, env)
    return env["e"]


@cache
def _fields(cls) -> tuple:
    return tuple(f for f in dataclasses.fields(cls) if not f.name.startswith("_"))


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls, vars(model))


def decode(cls, data):
    """Build CLS (a model dataclass) from encode()'s output."""
    return _decoder(cls)(data)


# Decoders are compiled once per type: a replayed 3,000-process frame decodes in tens of ms.
def _check(tp: type, name: str):
    def dec(v):
        if type(v) is not tp:
            raise FormatError(f"expected {name}, got {type(v).__name__}")
        return v
    return dec


def _number(v):
    if type(v) is float:
        return v
    if type(v) is int:
        return float(v)
    raise FormatError(f"expected a number, got {type(v).__name__}")


_PRIMS = {int: _check(int, "int"), str: _check(str, "str"), bool: _check(bool, "bool"), float: _number}


@cache
def _decoder(tp):
    if tp in _PRIMS:
        return _PRIMS[tp]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _decoder(next(a for a in typing.get_args(tp) if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is list:
        item = _decoder(typing.get_args(tp)[0])

        def dec_list(v):
            if type(v) is not list:
                raise FormatError(f"expected a list, got {type(v).__name__}")
            return [item(x) for x in v]
        return dec_list
    if origin is dict:
        val = _decoder(typing.get_args(tp)[1])

        def dec_dict(v):
            if type(v) is not dict:
                raise FormatError(f"expected an object, got {type(v).__name__}")
            return {str(k): val(x) for k, x in v.items()}
        return dec_dict
    if dataclasses.is_dataclass(tp):
        return _compile(tp)
    return lambda v: v


_SIMPLE = {int: "type({x}) is int", str: "type({x}) is str", bool: "type({x}) is bool",
           float: "type({x}) in (float, int)"}


def _compile(tp):
    """Generate a straight-line decoder for dataclass TP: inline type checks for primitive
    fields, one call per nested value, one constructor call. A field with a default may be
    absent (it takes the default); a required one missing takes the general path, which says
    which."""
    hints = _hints(tp)
    fields = _fields(tp)
    env = {"tp": tp, "FormatError": FormatError, "MISSING": dataclasses.MISSING}
    lines = [f"def dec(v):",
             f"    if type(v) is not dict:",
             f"        raise FormatError('expected {tp.__name__}, got ' + type(v).__name__)",
             f"    try:"]
    args = []
    for i, f in enumerate(fields):
        h = hints[f.name]
        opt = typing.get_origin(h) in (typing.Union, types.UnionType) and type(None) in typing.get_args(h)
        base = next((a for a in typing.get_args(h) if a is not type(None)), h) if opt else h
        x = f"a{i}"
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            # optional on disk: absent in older recordings, or a sparse field left out
            env[f"k{i}"] = (lambda d=f.default: d) if f.default is not dataclasses.MISSING else f.default_factory
            lines.append(f"        {x} = v.get({f.name!r}, MISSING)")
            lines.append(f"        if {x} is MISSING:")
            lines.append(f"            {x} = k{i}()")
            lines.append(f"        else:")
            pad = "    "
        else:
            lines.append(f"        {x} = v[{f.name!r}]")
            pad = ""
        if base in _SIMPLE:
            cond = _SIMPLE[base].format(x=x)
            if opt:
                cond = f"{x} is None or {cond}"
            lines.append(f"{pad}        if not ({cond}):")
            lines.append(f"{pad}            raise FormatError('{tp.__name__}.{f.name}: expected {base.__name__}, got ' + type({x}).__name__)")
            if base is float:
                lines.append(f"{pad}        {x} = None if {x} is None else float({x})" if opt else f"{pad}        {x} = float({x})")
        else:
            env[f"d{i}"] = _decoder(h)
            lines.append(f"{pad}        {x} = d{i}({x})")
        args.append(x)
    lines += [f"    except KeyError:",           # a required field missing: the general path says which
              f"        return slow(v)",
              f"    return tp({', '.join(args)})"]
    plan = [(f.name, _decoder(hints[f.name])) for f in fields]

    def slow(v):
        try:
            return tp(**{k: fn(v[k]) for k, fn in plan if k in v})
        except TypeError as e:
            raise FormatError(f"{tp.__name__}: {e}") from None
    env["slow"] = slow
    exec("\n".join(lines), env)
    return env["dec"]
