"""The landing contract has one home (the dbt source YAML); docs/data-contract.md's tables must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.lib.contract import CONTRACT_PATH, ENTITIES, parse_contract

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def _doc_tables() -> dict[str, list[list[str]]]:
    """Rows of the column table under each `### <entity>` heading of docs/data-contract.md."""
    tables: dict[str, list[list[str]]] = {}
    entity = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"(#+) (\w+)", line)
        if heading:
            entity = heading.group(2) if heading.group(1) == "###" and heading.group(2) in ENTITIES else None
            continue
        if entity and line.startswith("|") and not line.startswith("| column") and not line.startswith("|---"):
            tables.setdefault(entity, []).append([c.strip() for c in line.strip("|").split("|")])
    return tables


def test_every_entity_has_a_key_and_typed_columns():
    assert list(ENTITIES) == [
        "partners", "transactions", "leads", "payouts", "nps_responses", "interactions", "traffic_daily",
        "partner_targets", "fx_rates",
    ]
    assert ENTITIES["partner_targets"].key_columns == ("partner_id", "period_start_date", "metric")
    assert not ENTITIES["traffic_daily"].required and not ENTITIES["partner_targets"].required
    assert ENTITIES["partner_targets"].occasional and not ENTITIES["traffic_daily"].occasional
    assert ENTITIES["fx_rates"].key_columns == ("rate_date", "currency")
    assert ENTITIES["partners"].snapshot and ENTITIES["partners"].required
    assert ENTITIES["partners"].personal_columns == ("partner_name", "email", "account_manager")
    for entity in ENTITIES.values():
        assert set(entity.key_columns) <= set(entity.columns), entity.name


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_docs_table_lists_the_contract_columns_in_order_with_their_nullability(entity: str):
    rows = _doc_tables()[entity]
    assert [r[0] for r in rows] == list(ENTITIES[entity].columns)
    documented_required = [r[0] for r in rows if r[2] == "no"]
    assert documented_required == [c.name for c in ENTITIES[entity].contract_columns if c.required]


def test_docs_name_every_allowed_value():
    text = DOC.read_text(encoding="utf-8")
    for entity in ENTITIES.values():
        for column in entity.contract_columns:
            for value in column.allowed:
                assert f"`{value}`" in text, f"{entity.name}.{column.name}: `{value}` not in the docs"


def test_not_equal_rules_name_a_column_of_their_entity_and_are_documented():
    rules = [(e, c) for e in ENTITIES.values() for c in e.contract_columns if "not_equal" in c.rules]
    declared = [(e.name, c.name, c.rules["not_equal"]) for e, c in rules]
    assert declared == [("partners", "parent_partner_id", "partner_id")]
    assert all(c.rules["not_equal"] in e.columns for e, c in rules)
    assert "contract `not_equal: partner_id`" in DOC.read_text(encoding="utf-8")


def test_a_column_without_a_type_is_refused():
    text = CONTRACT_PATH.read_text(encoding="utf-8").replace("meta: {contract: {type: text, required: true}}", "", 1)
    with pytest.raises(ValueError, match="has no meta.contract.type"):
        parse_contract(text)
