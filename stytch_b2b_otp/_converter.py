"""The one cattrs converter that turns Stytch's JSON into the reply models.

Built once, by `make_converter`, from hooks registered by predicate and factory, so
no registration order matters. What it guarantees:

- types are checked, not coerced: ``"true"`` is not a bool, ``null`` is not a
  string, a string is not a list (cattrs' defaults would call ``bool()``/``str()``);
- timestamps become timezone-aware ``datetime``s (`parse_timestamp`);
- free-form maps (metadata, custom claims, ``raw``) are kept as the decoded dicts;
- unknown keys are ignored, and a malformed *lenient* field (see `_fields`) reads as
  ``None`` with a warning, unless the converter is built with ``strict=True``: the
  tests do that over realistic replies, so a field the models forgot, or one they
  got wrong, fails a test;
- error messages carry the path of the offending field and never its value, and
  name at most `MAX_PROBLEMS` problems.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from stytch_b2b_otp._fields import (
    LENIENT,
    NULL_AS_EMPTY,
    homogeneous_tuple_item,
    optional_inner,
)
from stytch_b2b_otp._timestamps import parse_timestamp

__all__ = ["CONVERTER", "StructureError", "make_converter", "structure"]

T = TypeVar("T")
_Hook = Callable[[Any, Any], Any]

logger = logging.getLogger("stytch_b2b_otp")

MAX_PROBLEMS = 5


class StructureError(ValueError):
    """The JSON does not fit the model; the message lists each field's problem."""


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    raise TypeError("expected a string")


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    raise TypeError("expected a boolean")


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    raise TypeError("expected an integer")


def _structure_json_object(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is dict:
        return value
    raise TypeError("expected a JSON object")


def _structure_datetime(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise TypeError("expected an RFC 3339 timestamp string")
    return parse_timestamp(value)


def _is_json_object(type_: Any) -> bool:
    return typing.get_origin(type_) is dict


def _is_homogeneous_tuple(type_: Any) -> bool:
    return homogeneous_tuple_item(type_) is not None


def _strict_tuple_hook(type_: Any, converter: cattrs.Converter) -> _Hook:
    item_type = homogeneous_tuple_item(type_)
    item = converter.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> Any:
        if type(value) is not list:
            raise TypeError("expected a JSON array")
        try:
            return tuple([item(element, item_type) for element in value])
        except Exception:  # noqa: BLE001 (redone item by item, to report each bad index)
            raise _errors_by_index(value, item, item_type, type_) from None

    return structure_tuple


def _failure_of(hook: _Hook, value: Any, type_: Any) -> Exception | None:
    try:
        hook(value, type_)
    except Exception as exc:  # noqa: BLE001 (returned, to be grouped by the caller)
        return exc
    return None


def _errors_by_index(
    values: list[Any], hook: _Hook, item_type: Any, type_: Any
) -> IterableValidationError:
    errors: list[Exception] = []
    for index, value in enumerate(values):
        exc = _failure_of(hook, value, item_type)
        if exc is not None and len(errors) < MAX_PROBLEMS:
            note = IterableValidationNote(f"Structuring {type_} @ index {index}", index, item_type)
            exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]
            errors.append(exc)
    return IterableValidationError(f"While structuring {type_}", errors, type_)


def _is_optional(type_: Any) -> bool:
    return optional_inner(type_) is not None


def _optional_hook(type_: Any, converter: cattrs.Converter) -> _Hook:
    # cattrs' own Optional handling looks the inner hook up on every call; resolve it once.
    inner_type = optional_inner(type_)
    return _null_as(None, converter.get_structure_hook(inner_type))


def _null_as(default: object, inner: _Hook) -> _Hook:
    def structure_nullable(value: Any, target: Any) -> Any:
        return default if value is None else inner(value, target)

    return structure_nullable


def _lenient(where: str, inner: _Hook) -> _Hook:
    def structure_or_none(value: Any, target: Any) -> Any:
        try:
            return inner(value, target)
        except Exception as exc:  # noqa: BLE001 (reported, then read as None by design)
            logger.warning(
                "ignored a malformed %s in a Stytch reply: %s", where, "; ".join(_problems(exc))
            )
            return None

    return structure_or_none


def _model_hook(cls: type[Any], converter: cattrs.Converter, *, strict: bool) -> _Hook:
    attrs.resolve_types(cls)
    overrides = {}
    for field in attrs.fields(cls):
        hook = converter.get_structure_hook(field.type)
        if field.metadata.get(NULL_AS_EMPTY):
            overrides[field.name] = override(struct_hook=_null_as(field.default, hook))
        elif field.metadata.get(LENIENT) and not strict:
            where = f"{cls.__name__}.{field.name}"
            overrides[field.name] = override(struct_hook=_lenient(where, hook))
    fields_of = make_dict_structure_fn(cls, converter, **overrides)  # type: ignore[arg-type]
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(cls, "_prepare", None)

    def structure_model(value: Any, target: Any) -> Any:
        if type(value) is not dict:
            raise TypeError("expected a JSON object")
        return fields_of(value if prepare is None else prepare(value), target)

    return structure_model


def make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Build a converter for the reply models.

    Args:
        strict: Treat unknown keys and malformed lenient fields as errors, for tests
            over recorded replies. The SDK's own converter tolerates both, for
            forward compatibility.
    """
    converter = cattrs.Converter(forbid_extra_keys=strict)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook_func(_is_json_object, _structure_json_object)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _strict_tuple_hook)
    converter.register_structure_hook_factory(_is_optional, _optional_hook)
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: _model_hook(cls, converter, strict=strict)
    )
    return converter


CONVERTER = make_converter()


def structure(data: Any, cls: type[T], converter: cattrs.Converter = CONVERTER) -> T:
    """Structure decoded JSON into ``cls``.

    Raises:
        StructureError: The data does not fit; the message names every bad field
            by its JSON path (``$.member.member_id: required field missing``).
    """
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, TypeError, ValueError) as exc:
        if not isinstance(exc, cattrs.BaseValidationError):
            raise StructureError(f"invalid value for type, expected {cls.__name__} @ $") from None
        raise StructureError("; ".join(_problems(exc))) from None


def _problems(exc: BaseException) -> list[str]:
    """At most `MAX_PROBLEMS` readable problems, each with its JSON path."""
    if not isinstance(exc, cattrs.BaseValidationError):
        return [f"invalid value ({type(exc).__name__})"]
    problems = cattrs.transform_error(exc, path="$")
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"and {more} more"]
    return problems
