"""Hypothesis strategies for JSON replies: arbitrary values, and real fixtures mutated."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

__all__ = ["encode", "fuzz_settings", "json_scalars", "json_values", "mutated", "unicode_text"]


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible runs (derandomized, no database) that report a failure as found:
    no shrinking, which could take minutes on replies this large."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


unicode_text = st.text(
    alphabet=st.characters(codec="utf-8"),  # includes controls, RTL marks, astral planes
    max_size=40,
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
    st.sampled_from(["", "null", "true", "0", "2025-02-30T00:00:00Z", "9999-12-31T23:59:59Z"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(unicode_text, children, max_size=4),
    ),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indexes) into a decoded JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _replace(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _at(root, path[:-1])[path[-1]] = new
    return root


def _delete(root: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return root
    del _at(root, path[:-1])[path[-1]]
    return root


MUTATIONS = ["delete", "replace", "nest", "empty", "huge_int", "unicode", "null", "wrap_list"]


@st.composite
def mutated(draw: st.DrawFn, fixture: dict[str, Any]) -> Any:
    """``fixture`` with 1 to 6 random mutations at random paths."""
    data: Any = copy.deepcopy(fixture)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        paths = list(_paths(data))
        # The root is a legal target too, but mostly the inside is interesting.
        path = draw(st.sampled_from(paths[1:] or paths))
        operation = draw(st.sampled_from(MUTATIONS))
        current = _at(data, path)
        if operation == "delete":
            data = _delete(data, path)
        elif operation == "replace":
            data = _replace(data, path, draw(json_values))
        elif operation == "nest":
            data = _replace(data, path, {"value": current})
        elif operation == "wrap_list":
            data = _replace(data, path, [current])
        elif operation == "empty":
            data = _replace(data, path, draw(st.sampled_from(["", [], {}])))
        elif operation == "huge_int":
            huge = draw(st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, 10**400]))
            data = _replace(data, path, huge)
        elif operation == "unicode":
            data = _replace(data, path, draw(unicode_text))
        else:
            data = _replace(data, path, None)
    return data


def encode(value: Any) -> bytes:
    # NaN cannot appear (the strategies exclude it); a 400-digit int stays as digits.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
