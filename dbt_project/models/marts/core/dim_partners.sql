-- The partner dimension for BI: attributes from the latest snapshot (int_partners_latest), without the partner's
-- name or e-mail. The parent link is the one the two-tier marts use (int_partner_hierarchy): none for a partner in a
-- parent cycle or with a parent in no snapshot (docs/metrics.md "Two-tier programs"). The published columns and their
-- order are the model contract in _core__models.yml.
with

partners as (
    select * from {{ ref('int_partners_latest') }}
),

hierarchy as (
    select
        partner_id as hierarchy_partner_id,
        parent_partner_id as tree_parent_partner_id
    from {{ ref('int_partner_hierarchy') }}
),

final as (
    select
        {{ star_except(ref('int_partners_latest'), ['partner_name', 'email', 'updated_at', 'first_seen_date', 'terminated_date'],
                       replace={'parent_partner_id': 'hierarchy.tree_parent_partner_id'}) }},
        status = 'terminated' as is_terminated,
        {{ as_of_date() }} as as_of_date
    from partners
    left join hierarchy on partners.partner_id = hierarchy.hierarchy_partner_id
)

select * from final
