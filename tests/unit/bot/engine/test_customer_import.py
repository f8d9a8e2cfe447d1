"""The CSV import's parser: every column, and bad rows named by line and column."""

from __future__ import annotations

from bot.engine.customer_import import parse_customers_csv


def test_rows_become_customers_with_segments_and_identities() -> None:
    parsed = parse_customers_csv(
        "id,name,phone,preferred_language,segments,identities\n"
        "K-1,Ana,+34600111222,PT-br,vip; fibra ,twitter:@ana ; WhatsApp:34600111222\n"
    )
    [(line, ana)] = parsed.customers
    assert line == 2 and parsed.errors == []
    assert ana.preferred_language == "pt" and ana.segments == ["vip", "fibra"]
    assert [i.id for i in ana.identities] == ["twitter:ana", "whatsapp:34600111222"]


def test_bad_rows_and_headers_are_reported_not_imported() -> None:
    parsed = parse_customers_csv("id,name,identities\nK 1,Ana,\nK-2,Bo,twitter\nK-3,Caio,\n")
    assert [c.id for _, c in parsed.customers] == ["K-3"]
    assert [(e.line, e.column) for e in parsed.errors] == [(2, "id"), (3, "identities")]
    header = parse_customers_csv("name,mobile\nAna,1\n")
    assert header.customers == [] and header.errors[0].column == "header"
