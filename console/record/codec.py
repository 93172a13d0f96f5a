"""HostSnapshot <-> plain JSON-able values, driven by the dataclass fields and their types.

Fields whose name starts with "_" are caches and are not stored. Decoding is strict about
shape (a wrong type raises FormatError) so a damaged or foreign frame is reported, not
half-loaded.
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
        return {f.name: encode(getattr(obj, f.name)) for f in _fields(type(obj))}
    if isinstance(obj, (list, tuple)):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    return obj


@cache
def _fields(cls) -> tuple:
    return tuple(f for f in dataclasses.fields(cls) if not f.name.startswith("_"))


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls, vars(model))


def decode(cls, data):
    """Build CLS (a model dataclass) from encode()'s output."""
    return _decode(cls, data)


def _decode(tp, data):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in typing.get_args(tp):
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner[0], data)
    if origin is list:
        if not isinstance(data, list):
            raise FormatError(f"expected a list, got {type(data).__name__}")
        (item,) = typing.get_args(tp)
        return [_decode(item, x) for x in data]
    if origin is dict:
        if not isinstance(data, dict):
            raise FormatError(f"expected an object, got {type(data).__name__}")
        _, val = typing.get_args(tp)
        return {str(k): _decode(val, v) for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise FormatError(f"expected {tp.__name__}, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for f in _fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name])
        try:
            return tp(**kwargs)
        except TypeError as e:
            raise FormatError(f"{tp.__name__}: {e}") from None
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise FormatError(f"expected a number, got {type(data).__name__}")
        return float(data)
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise FormatError(f"expected {tp.__name__}, got {type(data).__name__}")
        return data
    return data
