"""The fast path for replies, with the ``msgspec`` extra: bytes straight into the models.

msgspec decodes a reply's JSON in C, directly into the attrs models, without building
the intermediate dicts (and ``raw`` is decoded only if it is read). It is only a fast
path: a `FastReader` returns exactly what the converter would make of the same body,
or ``None``, and then the converter reads the reply as it always does. The converter
stays the judge of everything unusual, and of every error message:

- anything msgspec refuses: a ``null`` where the models read ``""`` or ``()``, a
  malformed lenient field (the converter reads it as ``None`` and logs it), a wrong
  type anywhere;
- a timestamp without an offset (msgspec would make it naive; the converter reads
  it as UTC), found by a check over the built models;
- a top-level field Stytch left out but a nested object carries (``_FALLBACKS``).

Timestamps are parsed by msgspec here and by `parse_timestamp` there; both follow
RFC 3339 with the same rounding of digits beyond microseconds, and the tests hold them
to the same results.
"""

from __future__ import annotations

import itertools
import typing
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import attrs
import msgspec

from stytch_b2b_otp._fields import homogeneous_tuple_item, optional_inner
from stytch_b2b_otp._responses import Undecoded

__all__ = ["FastReader", "decode_json", "loads"]

T = TypeVar("T")
_Check = Callable[[Any], bool]
_RAW = "_raw"
decode_json = msgspec.json.decode  # what ``raw`` is decoded with: it accepted the body


def loads(body: bytes) -> Any:
    """`decode_json` for the converter: bad JSON raises `ValueError`, as in `_json`.

    msgspec 0.19's ``DecodeError`` is not a ``ValueError``; later ones are.

    Raises:
        ValueError: ``body`` is not JSON.
    """
    try:
        return decode_json(body)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None


class FastReader(Generic[T]):
    """Decodes one reply type with msgspec; ``None`` when the converter must decide.

    A reply type whose fields are all its JSON's (``SmsSendResponse``) is decoded
    straight into the class. One with ``_FALLBACKS`` (``SmsAuthenticateResponse``'s
    ``organization_id``, which Stytch may leave out) is decoded into a msgspec
    struct of the same fields, those made optional, then built.
    """

    def __init__(self, cls: type[T]) -> None:
        _check_buildable(cls)
        fallbacks: dict[str, tuple[str, str]] = dict(getattr(cls, "_FALLBACKS", {}))
        self._direct = not fallbacks
        self._fallbacks = tuple(fallbacks.items())
        self._build: Callable[..., T] = cls
        target = cls if self._direct else _envelope(cls, fallbacks)
        self._decode: Callable[[bytes], Any] = msgspec.json.Decoder(target).decode
        self._aware = _timestamps_check(cls)

    def __call__(self, body: bytes) -> T | None:
        """The reply, or ``None`` when the converter must read this body."""
        try:
            decoded = self._decode(body)
        except (msgspec.MsgspecError, ValueError, RecursionError):  # ValueError: bad UTF-8
            return None
        raw = Undecoded(body, decode_json)
        if self._direct:
            reply: T = decoded
            object.__setattr__(reply, _RAW, raw)  # frozen: set once, as attrs would
        else:
            values = msgspec.structs.asdict(decoded)
            for name, (parent, key) in self._fallbacks:
                if values[name] is None:
                    values[name] = getattr(values[parent], key)
            reply = self._build(raw=raw, **values)
        if self._aware is not None and not self._aware(reply):
            return None
        return reply


def _check_buildable(cls: type[Any]) -> None:
    """Refuse a reply type that msgspec would build differently from attrs.

    msgspec fills an attrs instance's fields itself: it runs no validator, no
    converter and no ``__attrs_post_init__``. None of the reply models has one; this
    makes sure none gets one unnoticed (the fast-path tests would fail at once).

    Raises:
        TypeError: A model reachable from ``cls`` has one.
    """
    for model in _models_in(cls, set()):
        if hasattr(model, "__attrs_post_init__"):
            raise TypeError(f"{model.__name__} has __attrs_post_init__; msgspec skips it")
        for field in attrs.fields(model):
            if field.validator is not None or field.converter is not None:
                raise TypeError(
                    f"{model.__name__}.{field.name} has a validator or converter; "
                    "msgspec skips them"
                )


def _models_in(type_: Any, seen: set[type[Any]]) -> Iterator[type[Any]]:
    """Every attrs class in ``type_`` (its fields' types, recursively), once each."""
    for arg in typing.get_args(type_):
        yield from _models_in(arg, seen)
    if isinstance(type_, type) and attrs.has(type_) and type_ not in seen:
        seen.add(type_)
        yield type_
        hints = typing.get_type_hints(type_)
        for field in attrs.fields(type_):
            yield from _models_in(hints[field.name], seen)


def _envelope(cls: type[Any], fallbacks: dict[str, tuple[str, str]]) -> type[msgspec.Struct]:
    """A msgspec struct with ``cls``'s fields (``raw`` aside), fallbacks optional."""
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in attrs.fields(cls):
        if field.name == _RAW:
            continue
        type_ = hints[field.name]
        if field.name in fallbacks:
            fields.append((field.name, type_ | None, None))
        elif field.default is attrs.NOTHING:
            fields.append((field.name, type_))
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{cls.__name__}.{field.name}: factories are not supported")
        else:
            fields.append((field.name, type_, field.default))
    return msgspec.defstruct(f"{cls.__name__}Envelope", fields, kw_only=True)


def _timestamps_check(cls: type[Any]) -> _Check | None:
    """A function telling whether every timestamp in a ``cls`` has an offset.

    ``None`` when ``cls`` holds no timestamp. The function is generated once per
    reply type, as straight-line code over the fields that can hold a timestamp
    (attrs and cattrs build their functions the same way): a reply is checked in
    well under a microsecond.
    """
    lines: list[str] = []
    _emit(cls, "value", lines, itertools.count(1), "    ", skip=_RAW)
    if not lines:
        return None
    source = "def check(value):\n" + "\n".join(lines) + "\n    return True\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<timestamps check {cls.__name__}>", "exec"), namespace)  # noqa: S102
    return cast(_Check, namespace["check"])


def _emit(
    type_: Any, expr: str, lines: list[str], names: Iterator[int], indent: str, skip: str = ""
) -> None:
    """Append the checks for ``expr``, a value of ``type_``, to ``lines``.

    ``names`` numbers the generated code's local variables (``v1``, ``v2``...).
    """
    inner = optional_inner(type_)
    optional = inner is not None
    if optional:
        type_ = inner
    if type_ is datetime:
        guard = f"{expr} is not None and " if optional else ""
        lines.append(f"{indent}if {guard}{expr}.tzinfo is None:")
        lines.append(f"{indent}    return False")
        return
    item_type = homogeneous_tuple_item(type_)
    if item_type is not None:
        item = f"v{next(names)}"
        body: list[str] = []
        _emit(item_type, item, body, names, indent + "    ")
        if body:
            lines.append(f"{indent}for {item} in {expr}:")
            lines.extend(body)
        return
    if not (isinstance(type_, type) and attrs.has(type_)):
        return
    hints = typing.get_type_hints(type_)
    model = f"v{next(names)}"
    inner_indent = indent + "    " if optional else indent
    body = []
    for field in attrs.fields(type_):
        if field.name != skip:
            _emit(hints[field.name], f"{model}.{field.name}", body, names, inner_indent)
    if body:
        lines.append(f"{indent}{model} = {expr}")
        if optional:
            lines.append(f"{indent}if {model} is not None:")
        lines.extend(body)
