"""A griffe extension for the API reference: the ``__init__`` that attrs writes.

Static analysis sees an attrs class as annotated class attributes; attrs makes its
``__init__`` at import time, so without this the reference would show ``Member()``
and griffe would flag every documented argument as unknown. This rebuilds the
signature the way attrs does: the fields of attrs base classes first, ``kw_only``
(on the class or the field), defaults (``default=``, ``factory=``, and this package's
field helpers), ``init=False``, and private names without their leading underscore.

It also shows a default that names one of this package's constants (such as
``_constants.DEFAULT_MAX_RETRIES``) as its value, which is what a reader wants.

The build runs it (``mkdocs.yml``: ``extensions``); it is not part of the package.
"""

from __future__ import annotations

from typing import Any

import griffe

_ATTRS_DECORATORS = frozenset(
    {"attrs.define", "attrs.frozen", "attrs.mutable", "attr.s", "attr.attrs", "attr.define"}
)
_FIELD_FUNCTIONS = frozenset({"attrs.field", "attr.ib", "attr.field"})
# The package's own field helpers: each returns attrs.field(default=<this>, ...).
_HELPER_DEFAULTS = {
    "stytch_b2b_otp._fields.empty_str": '""',
    "stytch_b2b_otp._fields.empty_tuple": "()",
    "stytch_b2b_otp._fields.empty_bool": "False",
    "stytch_b2b_otp._fields.lenient": "None",
}
_CONSTANTS_MODULE = "stytch_b2b_otp._constants."


def _path(expr: object) -> str | None:
    """The canonical path an expression names, if it names one."""
    try:
        return str(getattr(expr, "canonical_path", "")) or None
    except Exception:  # noqa: BLE001 (an unresolvable name is simply not one of ours)
        return None


def _call_arguments(expr: griffe.ExprCall) -> dict[str, Any]:
    return {
        argument.name: argument.value
        for argument in expr.arguments
        if isinstance(argument, griffe.ExprKeyword)
    }


def _attrs_options(cls: griffe.Class) -> dict[str, Any] | None:
    """The keyword arguments of the class's attrs decorator, or None if it has none."""
    for decorator in cls.decorators:
        value = decorator.value
        if _path(value) in _ATTRS_DECORATORS:
            return _call_arguments(value) if isinstance(value, griffe.ExprCall) else {}
    return None


def _field(attribute: griffe.Attribute) -> tuple[dict[str, Any], object]:
    """(the field's attrs options, its default or None when it has none)."""
    value = attribute.value
    if isinstance(value, griffe.ExprCall):
        function = _path(value.function)
        options = _call_arguments(value)
        if function in _HELPER_DEFAULTS:
            return options, _HELPER_DEFAULTS[function]
        if function in _FIELD_FUNCTIONS:
            if "factory" in options:
                return options, griffe.ExprCall(function=options["factory"], arguments=[])
            return options, options.get("default")
    return {}, value


def _own_parameters(cls: griffe.Class, options: dict[str, Any]) -> list[griffe.Parameter]:
    class_kw_only = str(options.get("kw_only")) == "True"
    parameters = []
    for member in cls.members.values():
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        if "property" in member.labels or (
            "class-attribute" in member.labels and "instance-attribute" not in member.labels
        ):
            continue
        if "ClassVar" in str(member.annotation):
            continue
        field_options, default = _field(member)
        if str(field_options.get("init")) == "False":
            continue
        kw_only = class_kw_only or str(field_options.get("kw_only")) == "True"
        alias = field_options.get("alias")
        name = str(alias).strip("'\"") if alias is not None else member.name.lstrip("_")
        parameters.append(
            griffe.Parameter(
                name,
                annotation=member.annotation,
                kind=griffe.ParameterKind.keyword_only
                if kw_only
                else griffe.ParameterKind.positional_or_keyword,
                default=default,
                docstring=member.docstring,
            )
        )
    return parameters


def _add_init(cls: griffe.Class) -> None:
    options = _attrs_options(cls)
    if options is None or "__init__" in cls.members or str(options.get("init")) == "False":
        return
    try:
        bases = [base for base in reversed(cls.mro()) if _attrs_options(base) is not None]
    except ValueError:
        bases = []
    by_name: dict[str, griffe.Parameter] = {}
    for owner in [*bases, cls]:
        for parameter in _own_parameters(owner, _attrs_options(owner) or {}):
            by_name.pop(parameter.name, None)
            by_name[parameter.name] = parameter
    positional = [p for p in by_name.values() if p.kind is not griffe.ParameterKind.keyword_only]
    keyword = [p for p in by_name.values() if p.kind is griffe.ParameterKind.keyword_only]
    self = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
    init = griffe.Function(
        "__init__",
        lineno=0,
        endlineno=0,
        parent=cls,
        parameters=griffe.Parameters(self, *positional, *keyword),
        returns="None",
    )
    cls.set_member("__init__", init)


def _show_constant_defaults(function: griffe.Function) -> None:
    for parameter in function.parameters:
        path = _path(parameter.default)
        if path is None or not path.startswith(_CONSTANTS_MODULE):
            continue
        try:
            constant = function.modules_collection[path]
        except (KeyError, griffe.AliasResolutionError):
            continue
        if isinstance(constant, griffe.Attribute) and constant.value is not None:
            parameter.default = constant.value


def _walk(obj: griffe.Module | griffe.Class, seen: set[str]) -> None:
    if obj.path in seen:
        return
    seen.add(obj.path)
    if isinstance(obj, griffe.Class):
        _add_init(obj)
    for member in list(obj.members.values()):
        if member.is_alias:
            continue
        if isinstance(member, (griffe.Module, griffe.Class)):
            _walk(member, seen)
        elif isinstance(member, griffe.Function):
            _show_constant_defaults(member)


class AttrsInit(griffe.Extension):
    """Give every attrs class the ``__init__`` attrs would generate."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk the loaded package once it is complete.

        Args:
            pkg: The package griffe loaded.
            **kwargs: Other hook arguments, unused.
        """
        _walk(pkg, set())
