-- Partners whose listed parent link the two-tier marts do not use (docs/metrics.md "Two-tier programs"): a parent in
-- no snapshot, a cycle in the links, or a chain deeper than var two_tier_max_depth. A data-quality finding, not a
-- quarantine: the partner rows are valid and stay staged (raw = staged + quarantined holds); only the link is set
-- aside. A partner that names itself as parent is quarantined in staging instead (contract not_equal).
with

hierarchy as (
    select * from {{ ref('int_partner_hierarchy') }}
),

final as (
    select
        partner_id,
        listed_parent_partner_id,
        hierarchy_issue,
        cycle_length,
        {{ as_of_date() }} as as_of_date
    from hierarchy
    where hierarchy_issue is not null
)

select * from final
