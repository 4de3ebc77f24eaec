"""Publish gate for `fct_retention_monthly` (docs/operations.md, "Quality gates").

Checks rates in [0, 1], the partner-base identity, one program row per month; schema; volume.
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import Check, SuiteContext, exact_schema

COLUMNS = {
    "retention_id": "VARCHAR",
    "month_start_date": "DATE",
    "next_month_start_date": "DATE",
    "period_grain": "VARCHAR",
    "is_partial_period": "BOOLEAN",
    "dimension_name": "VARCHAR",
    "dimension_value": "VARCHAR",
    "partners_start_count": "HUGEINT",
    "partners_new_count": "HUGEINT",
    "partners_churned_count": "HUGEINT",
    "partners_reactivated_count": "HUGEINT",
    "partners_end_count": "HUGEINT",
    "partners_retained_count": "HUGEINT",
    "partners_start_churned_count": "HUGEINT",
    "partners_new_churned_count": "HUGEINT",
    "partners_active_count": "HUGEINT",
    "customer_retention_rate": "DOUBLE",
    "customer_retention_rate_formula": "DOUBLE",
    "partner_base_index": "DOUBLE",
    "churn_rate": "DOUBLE",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "rows": "count(*)",
    "program_partner_months": "sum(partners_end_count) filter (where dimension_name = 'program')",
}

# Program-level monthly numbers whose change versus the previous version is a restatement.
RESTATEMENT_METRICS = {
    "program_churn_rate": "max(churn_rate) filter (where dimension_name = 'program')",
    "program_partners_end_count": "sum(partners_end_count) filter (where dimension_name = 'program')",
}

BATCHES = {
    "identity": """
        select
            retention_id,
            partners_start_count + partners_new_count - partners_churned_count + partners_reactivated_count
                - partners_end_count as base_identity_gap
        from {mart}
    """,
    "program_months": """
        select month_start_date, count(*) filter (where dimension_name = 'program') as program_rows
        from {mart} group by month_start_date
    """,
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before `fct_retention_monthly` reaches BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectColumnValuesToBeBetween(column="churn_rate", min_value=0, max_value=1)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="customer_retention_rate", min_value=0, max_value=1)),
        # (E - N) / S is the seed documents' cross-check: above 1 with many reactivations, below 0 when many
        # of the period's new partners already left (docs/metrics.md), so it has no range; the set CRR does.
        Check(gxe.ExpectColumnValuesToBeBetween(column="partner_base_index", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="partners_start_count", min_value=0)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="partners_end_count", min_value=0)),
        Check(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="partners_start_count", column_B="partners_retained_count", or_equal=True
            )
        ),
        # start + new - churned + reactivated = end (docs/metrics.md), for every month and dimension value.
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="base_identity_gap", min_value=0, max_value=0), batch="identity"
        ),
        Check(
            gxe.ExpectColumnValuesToBeBetween(column="program_rows", min_value=1, max_value=1), batch="program_months"
        ),
        Check(gxe.ExpectColumnUniqueValueCountToBeBetween(column="as_of_date", min_value=1, max_value=1)),
        *ctx.volume_checks(KEY_METRICS),
    ]
