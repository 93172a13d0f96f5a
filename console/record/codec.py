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
    """The encoder for dataclass TP: primitive fields copied as they are, nested values
    (dataclasses, lists, dicts) through encode(); a sparse field only when it is set."""
    hints = _hints(tp)
    plain, sparse = [], []
    for f in _fields(tp):
        h = hints[f.name]
        base = next((a for a in typing.get_args(h) if a is not type(None)), h) \
            if typing.get_origin(h) in (typing.Union, types.UnionType) else h
        (sparse if f.metadata.get("sparse") else plain).append((f.name, base in (int, str, bool, float)))

    def enc(o):
        d = {}
        for name, simple in plain:
            v = getattr(o, name)
            d[name] = v if simple else encode(v)
        for name, simple in sparse:
            v = getattr(o, name)
            if v is not None:
                d[name] = v if simple else encode(v)
        return d
    return enc


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


def _compile(tp):
    """The decoder for dataclass TP: one checked value per field, in order, then one
    constructor call. A field with a default may be absent (it takes the default); a
    required one missing, or a value of the wrong type, is a FormatError naming the field."""
    hints = _hints(tp)
    plan = []
    for f in _fields(tp):
        if f.default is not dataclasses.MISSING:
            default = (lambda d=f.default: d)
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory
        else:
            default = None                      # required
        plan.append((f.name, default, _decoder(hints[f.name])))
    missing = object()

    def dec(v):
        if type(v) is not dict:
            raise FormatError(f"expected {tp.__name__}, got {type(v).__name__}")
        args = []
        for name, default, d in plan:
            x = v.get(name, missing)
            if x is missing:
                if default is None:
                    raise FormatError(f"{tp.__name__}: missing field {name!r}")
                args.append(default())
                continue
            try:
                args.append(d(x))
            except FormatError as e:
                raise FormatError(f"{tp.__name__}.{name}: {e}") from None
        return tp(*args)
    return dec
