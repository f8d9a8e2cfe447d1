"""`centinela customers import FILE`: customers and their identities from a CSV file."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.engine.customer_import import ParsedFile


def add_customers_parser(sub: argparse._SubParsersAction[Any], existing_file: Any) -> None:
    customers = sub.add_parser("customers", help="customers and their social identities")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True, metavar="SUBCOMMAND")
    importing = customers_sub.add_parser(
        "import", help="create or update customers from a CSV file (docs/cases.md lists the columns)"
    )
    importing.add_argument("file", type=existing_file, help="CSV with a header row")


def run_customers(settings: Settings, args: argparse.Namespace) -> int:
    from bot.engine.customer_import import parse_customers_csv

    path: Path = args.file
    parsed = parse_customers_csv(path.read_text(encoding="utf-8-sig"))
    for error in parsed.errors:
        print(f"{path}:{error.line}: {error.column}: {error.message}", file=sys.stderr)
    return asyncio.run(_import(settings, path, parsed))


async def _import(settings: Settings, path: Path, parsed: ParsedFile) -> int:
    from bot.engine.customers import CustomerBook
    from bot.store.factory import build_store

    failed = len(parsed.errors)
    store = build_store(settings)
    await store.open()
    try:
        book = CustomerBook(store.records)
        imported = 0
        for line, customer in parsed.customers:
            change = await book.upsert(customer)
            if change.ok:
                imported += 1
            else:
                failed += 1
                print(f"{path}:{line}: {change.message}", file=sys.stderr)
    finally:
        await store.close()
    print(f"imported {imported} customer(s), {failed} row(s) failed")
    return 0 if failed == 0 else 1
