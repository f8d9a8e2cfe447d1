"""Customers from a CSV file (`centinela customers import FILE`): parse, check, report by line.

Why a line-by-line report rather than all-or-nothing: a CRM export of thousands of rows with
three bad phone numbers should not hold back the rest; the bad rows are named with their line
and column, so they can be fixed and imported again (the import is an upsert, safe to repeat).

Columns (a header row names them, in any order): `id` (required), `name`, `contract_number`,
`email`, `phone`, `preferred_language`, `segments` (separated by `;`), `identities`
(`channel:handle` pairs separated by `;`, e.g. `twitter:@ana;whatsapp:34600111222`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.core.customers import Customer, Identity

COLUMNS = ("id", "name", "contract_number", "email", "phone", "preferred_language", "segments", "identities")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str
    message: str


@dataclass(slots=True)
class ParsedFile:
    customers: list[tuple[int, Customer]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_customers_csv(text: str) -> ParsedFile:
    parsed = ParsedFile()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if "id" not in header or unknown:
        why = f"unknown columns {unknown}" if unknown else "no `id` column"
        parsed.errors.append(RowError(1, "header", f"{why}; columns are {', '.join(COLUMNS)}"))
        return parsed
    for row in reader:
        line = reader.line_num
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            parsed.customers.append((line, _customer(values)))
        except ValidationError as exc:
            first = exc.errors()[0]
            column = str(first["loc"][0]) if first["loc"] else "row"
            parsed.errors.append(RowError(line, column, first["msg"]))
        except ValueError as exc:
            parsed.errors.append(RowError(line, "identities", str(exc)))
    return parsed


def _customer(values: dict[str, str]) -> Customer:
    fields: dict[str, object] = {k: v for k, v in values.items() if v and k not in ("segments", "identities")}
    if values.get("segments"):
        fields["segments"] = [s.strip() for s in values["segments"].split(";") if s.strip()]
    if values.get("identities"):
        fields["identities"] = [_identity(part) for part in values["identities"].split(";") if part.strip()]
    return Customer.model_validate(fields)


def _identity(text: str) -> Identity:
    channel, sep, handle = text.strip().partition(":")
    if not (sep and channel and handle):
        raise ValueError(f"identity must be channel:handle, got {text.strip()!r}")
    return Identity(channel=channel.strip().lower(), handle=handle.strip())
