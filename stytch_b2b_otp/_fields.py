"""Field helpers shared by the reply models, read by the converter.

Which fields a reply must carry follows Stytch's own models, relaxed where Stytch is
known to be looser than them, without weakening the types:

- identifiers, booleans, and the enum-like strings an MFA flow branches on (member
  ``status``, the organization's ``mfa_policy``, ``mfa_methods`` and
  ``auth_methods``, a factor's ``type``) are required: a reply without one is an
  `InvalidResponseError` naming it;
- descriptive strings, strings Stytch sends as ``""`` when unset
  (``member_password_id``, ``totp_registration_id``, ``mfa_phone_number``...), and
  the organization's other policies (JIT provisioning, invites, connected apps:
  Stytch adds such settings over time, and no MFA step reads them) read an absent
  or ``null`` value as ``""``;
- lists read an absent or ``null`` value as ``()``;
- optional fields and objects are ``None`` when absent or ``null``;
- optional objects that only inform (a factor's provider details, SCIM data,
  device fingerprints) are *lenient*: when one is malformed it reads as ``None``
  and a warning is logged, because failing the whole reply would lose a session
  Stytch has already created (the code and the intermediate session token are
  used up by then). The tests' strict converter treats them like any other field.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import attrs

__all__ = [
    "LENIENT",
    "NULL_AS_EMPTY",
    "empty_bool",
    "empty_str",
    "empty_tuple",
    "homogeneous_tuple_item",
    "lenient",
    "optional_inner",
]

NULL_AS_EMPTY = "stytch_b2b_otp.null_as_empty"
LENIENT = "stytch_b2b_otp.lenient"
_NULL_AS_EMPTY = {NULL_AS_EMPTY: True}
_LENIENT = {LENIENT: True}


def empty_str(**kwargs: Any) -> Any:
    """A string field that reads an absent or ``null`` value as ``""``."""
    return attrs.field(default="", metadata=_NULL_AS_EMPTY, **kwargs)


def empty_tuple() -> Any:
    """A list field that reads an absent or ``null`` value as ``()``."""
    return attrs.field(default=(), metadata=_NULL_AS_EMPTY)


def empty_bool() -> Any:
    """A boolean field that reads an absent or ``null`` value as ``False``."""
    return attrs.field(default=False, metadata=_NULL_AS_EMPTY)


def lenient() -> Any:
    """An optional object that reads as ``None`` (with a warning) when malformed."""
    return attrs.field(default=None, metadata=_LENIENT)


# The shapes of the field types, read by the converter and by the fast path.


def optional_inner(type_: Any) -> Any | None:
    """``X`` for ``X | None`` (or ``Optional[X]``), otherwise ``None``."""
    args = typing.get_args(type_)
    if (
        typing.get_origin(type_) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    ):
        return args[0] if args[1] is type(None) else args[1]
    return None


def homogeneous_tuple_item(type_: Any) -> Any | None:
    """``X`` for ``tuple[X, ...]``, otherwise ``None``."""
    args = typing.get_args(type_)
    if typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None
