"""Publish gate for `dim_partners`: attributes BI filters on, and partner volume vs the last version.

Region, partner type and country are row-level rules that only this gate checks today (docs/quality.md).
"""

import great_expectations.expectations as gxe

from orchestration.lib.gx_runner import WARNING, Check

# Compared with the last published version (docs/quality.md) and kept in the publish log.
KEY_METRICS = {
    "partners": "count(*)",
    "active_partners": "count(*) filter (where status = 'active')",
}

CHECKS = [
    Check(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
    Check(gxe.ExpectColumnValuesToBeInSet(column="region", value_set=["NA", "EMEA", "APAC", "LATAM"])),
    Check(
        gxe.ExpectColumnValuesToBeInSet(
            column="partner_type", value_set=["reseller", "agency", "integrator", "affiliate", "influencer"]
        )
    ),
    Check(gxe.ExpectColumnValueLengthsToEqual(column="country", value=2)),
    # A terminated partner has a termination time.
    Check(
        gxe.ExpectColumnValuesToNotBeNull(
            column="terminated_at", row_condition='status=="terminated"', condition_parser="pandas"
        )
    ),
    # A programme where most partners are not active is possible, but worth a look.
    Check(gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["active"], mostly=0.5), level=WARNING),
]
