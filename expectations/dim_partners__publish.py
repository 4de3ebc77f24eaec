"""Publish gate for `dim_partners`: at least one partner, the share of active partners, volume vs the last version.

Region, partner type, country and status are landing-contract rules: a bad value is quarantined in staging.
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
    # A programme where most partners are not active is possible, but worth a look.
    Check(gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["active"], mostly=0.5), level=WARNING),
]
