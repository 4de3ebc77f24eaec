"""The landing contract, read from its one home: the dbt source YAML of the program (docs/data-contract.md).

dbt judges every row from the same file (macro `judge_rows`); this module gives the ingestion, the demo
generator, the bench and the tests the entities, their columns, keys and rules. The file is read on first use
of `ENTITIES` (never at import) and parsed with PyYAML, which dbt already depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = (
    Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "staging" / "program" / "_program__sources.yml"
)
SOURCE_NAME = "program"
# Every rejected landing row with its reason (dbt model stg_program__quarantine; docs/data-contract.md).
QUARANTINE_RELATION = "staging.stg_program__quarantine"

# Columns every raw table carries besides the contract columns: where each row came from, and for a line the
# ingestion could not read (PRA_ON_BAD_LINES=quarantine), what was wrong and in which column (if one).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_partition_date", "date"),
    ("_source_file", "varchar"),
    ("_source_row", "bigint"),
    ("_unreadable", "varchar"),
    ("_unreadable_field", "varchar"),
)


@dataclass(frozen=True)
class Column:
    """One contract column: its staged type and rules (keys of the column's `meta.contract`)."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    personal: bool = False
    # May be absent from a file's header (a field added after files were exported); then loaded as null.
    optional: bool = False
    allowed: tuple[str, ...] = ()
    rules: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entity:
    """One landing entity: a folder of daily `dt=YYYY-MM-DD` sub-folders holding CSV or Parquet files."""

    name: str
    description: str
    key_columns: tuple[str, ...]
    contract_columns: tuple[Column, ...]
    required: bool
    # Snapshot entities land a full state on some days only; a missing day is normal for them.
    snapshot: bool = False
    # Dated entities land on some days only (e.g. targets agreed each quarter), each day adding rows, not a state.
    occasional: bool = False
    partner_checked: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """Column names in contract order (the order of the CSV header the generator writes)."""
        return tuple(c.name for c in self.contract_columns)

    @property
    def key(self) -> str:
        """The primary key as text, e.g. `rate_date, currency`."""
        return ", ".join(self.key_columns)

    @property
    def optional_columns(self) -> tuple[str, ...]:
        """Columns a file may lack (loaded as null then)."""
        return tuple(c.name for c in self.contract_columns if c.optional)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        """Columns that identify a person: never published."""
        return tuple(c.name for c in self.contract_columns if c.personal)


def _column(spec: dict[str, Any]) -> Column:
    rules = dict((spec.get("meta") or {}).get("contract") or {})
    if "type" not in rules:
        raise ValueError(f"{CONTRACT_PATH}: column {spec.get('name')!r} has no meta.contract.type")
    return Column(
        name=spec["name"],
        type=rules.pop("type"),
        description=spec.get("description", ""),
        required=bool(rules.pop("required", False)),
        personal=bool(rules.pop("personal", False)),
        optional=bool(rules.pop("optional", False)),
        allowed=tuple(str(v) for v in rules.pop("allowed", ())),
        rules=rules,
    )


def parse_contract(text: str) -> dict[str, Entity]:
    """Entities of the `program` source in a dbt source YAML document, in file order."""
    doc = yaml.safe_load(text)
    source = next(s for s in doc["sources"] if s["name"] == SOURCE_NAME)
    entities = {}
    for table in source["tables"]:
        meta = (table.get("meta") or {}).get("contract") or {}
        entities[table["name"]] = Entity(
            name=table["name"],
            description=table.get("description", ""),
            key_columns=tuple(meta.get("key", ())),
            contract_columns=tuple(_column(c) for c in table.get("columns", [])),
            required=bool(meta.get("required", False)),
            snapshot=bool(meta.get("snapshot", False)),
            occasional=bool(meta.get("occasional", False)),
            partner_checked=bool(meta.get("partner_checked", False)),
        )
    return entities


@cache
def load_entities() -> dict[str, Entity]:
    """The contract's entities, read once per process."""
    return parse_contract(CONTRACT_PATH.read_text(encoding="utf-8"))


def __getattr__(name: str) -> Any:
    # `ENTITIES` reads the contract on first use, not when this module is imported.
    if name == "ENTITIES":
        return load_entities()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
