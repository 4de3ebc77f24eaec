"""Publish gate for `fct_partner_hierarchy_issues`: a cycle length on exactly the `parent_cycle` rows. A findings mart:
its rows fall to zero when the source fixes its links, so it has no volume band (VOLUME_CHECKED).
"""

from orchestration.lib.gx_runner import between

VOLUME_CHECKED = False

BATCHES = {
    "cycles": """
        select count(*) filter (where (hierarchy_issue = 'parent_cycle') <> (cycle_length is not null))
            as cycle_lengths_misplaced
        from {mart}
    """,
}

CHECKS = [
    between("cycle_lengths_misplaced", 0, 0, batch="cycles"),
]
