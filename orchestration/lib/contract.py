"""The source data contract: entities, their columns and how they land (see docs/data-contract.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """One landing entity: a folder of daily `dt=YYYY-MM-DD` sub-folders holding CSV or Parquet files."""

    name: str
    key: str
    columns: tuple[str, ...]
    required: bool
    # Snapshot entities land a full state on some days only; a missing day is normal for them.
    snapshot: bool = False


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "partners",
            key="partner_id",
            required=True,
            snapshot=True,
            columns=(
                "partner_id", "partner_name", "email", "signup_date", "region", "country",
                "partner_type", "ecosystem", "parent_partner_id", "account_manager", "status",
                "terminated_at", "termination_reason", "updated_at",
            ),
        ),
        Entity(
            "transactions",
            key="transaction_id",
            required=True,
            columns=(
                "transaction_id", "partner_id", "customer_id", "occurred_at", "kind", "amount",
                "currency", "commission_amount", "refund_of", "product",
            ),
        ),
        Entity(
            "leads",
            key="lead_id",
            required=False,
            columns=("lead_id", "partner_id", "created_at", "converted_at", "status"),
        ),
        Entity(
            "payouts",
            key="payout_id",
            required=False,
            columns=(
                "payout_id", "partner_id", "requested_at", "paid_at", "amount", "currency", "status",
                "blocked_reason",
            ),
        ),
        Entity(
            "nps_responses",
            key="response_id",
            required=False,
            columns=("response_id", "partner_id", "responded_at", "score"),
        ),
        Entity(
            "interactions",
            key="interaction_id",
            required=False,
            columns=("interaction_id", "partner_id", "occurred_at", "kind"),
        ),
        Entity(
            "fx_rates",
            key="rate_date, currency",
            required=False,
            columns=("rate_date", "currency", "rate_to_reporting"),
        ),
    )
}

# Columns every raw table carries besides the contract columns: where each row came from.
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_partition_date", "date"),
    ("_source_file", "varchar"),
    ("_source_row", "bigint"),
)
