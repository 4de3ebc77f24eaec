"""Publish gate for `dim_partners`: exact schema, enums BI filters on, and partner volume vs the last version."""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import WARNING, Check, SuiteContext, exact_schema

COLUMNS = {
    "partner_id": "VARCHAR",
    "signup_date": "DATE",
    "region": "VARCHAR",
    "country": "VARCHAR",
    "partner_type": "VARCHAR",
    "ecosystem": "VARCHAR",
    "parent_partner_id": "VARCHAR",
    "account_manager": "VARCHAR",
    "status": "VARCHAR",
    "is_terminated": "BOOLEAN",
    "terminated_at": "TIMESTAMP",
    "termination_reason": "VARCHAR",
    "last_snapshot_date": "DATE",
    "as_of_date": "DATE",
}

# Compared with the last published version (tolerance in docs/operations.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(*)",
    "active_partners": "count(*) filter (where status = 'active')",
}

BATCHES = {
    # A published dimension describes one point in time.
    "as_of": "select count(distinct as_of_date) as as_of_dates from {mart}",
}


def expectations(ctx: SuiteContext) -> list[Check]:
    """What must hold before partners reach BI."""
    return [
        *exact_schema(COLUMNS),
        Check(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
        Check(gxe.ExpectColumnValuesToBeInSet(column="region", value_set=["NA", "EMEA", "APAC", "LATAM"])),
        Check(
            gxe.ExpectColumnValuesToBeInSet(
                column="partner_type",
                value_set=["reseller", "agency", "integrator", "affiliate", "influencer"],
            )
        ),
        Check(gxe.ExpectColumnValueLengthsToEqual(column="country", value=2)),
        Check(gxe.ExpectColumnValuesToBeBetween(column="as_of_dates", min_value=1, max_value=1), batch="as_of"),
        # A terminated partner has a termination time; others do not.
        Check(
            gxe.ExpectColumnValuesToNotBeNull(
                column="terminated_at", row_condition='status=="terminated"', condition_parser="pandas"
            )
        ),
        # Warning: a programme where most partners are gone is possible, but worth a look.
        Check(
            gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(column="partner_id", min_value=1, max_value=1),
        ),
        Check(
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["active"], mostly=0.5),
            level=WARNING,
        ),
        *ctx.volume_checks(KEY_METRICS),
    ]
