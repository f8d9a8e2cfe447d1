"""Environment variables for list settings: a JSON list or, as people type them, a comma list.

pydantic-settings reads a list setting such as `CENTINELA_LANGUAGES` only as JSON, so
`CENTINELA_LANGUAGES=es` or `CENTINELA_OWN_ACCOUNTS=@Foo,@Bar` stopped start-up with a parse
error that named neither the variable nor the fix. This source keeps JSON (anything that
starts with `[`, `{` or `"` is still decoded as JSON and must be valid) and otherwise splits a
list setting on commas, nested ones (`CENTINELA_SLACK__APPROVERS`) included.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import EnvSettingsSource

_LIST_ORIGINS = (list, tuple, set, frozenset)


def is_list_field(field: FieldInfo | None) -> bool:
    """True for `list[...]` (also inside `Optional`/unions, `tuple`, `set`) annotations."""
    if field is None:
        return False
    return _is_list(field.annotation)


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in _LIST_ORIGINS or annotation in _LIST_ORIGINS:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return False


def split_list(value: str) -> list[str]:
    """`"es, en,pt"` -> `["es", "en", "pt"]`; an empty or blank value is an empty list."""
    return [part.strip() for part in value.split(",") if part.strip()]


class CommaListEnvSource(EnvSettingsSource):
    """`EnvSettingsSource` that also accepts comma-separated values for list fields."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        if isinstance(value, str) and is_list_field(field) and not value.lstrip().startswith(("[", '"')):
            return split_list(value)
        try:
            return super().decode_complex_value(field_name, field, value)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{self.env_prefix}{field_name.upper()} is not valid JSON ({exc.msg} at char {exc.pos})"
            ) from exc
