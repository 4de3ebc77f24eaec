-- Every (partner, ancestor) pair of the two-tier tree, with the number of links between them (1 = the parent), up to
-- var two_tier_max_depth links: the links int_partner_hierarchy uses (no cycle, no unknown parent), walked with the
-- same fixed self-joins (macro partner_link_walk).
{% set max_depth = var('two_tier_max_depth') | int %}
with

links as (
    select partner_id, parent_partner_id from {{ ref('int_partner_hierarchy') }}
),

walk as (
    {{ partner_link_walk('links', max_depth) }}
),

final as (
    {%- for step in range(1, max_depth + 1) %}
    select
        partner_id,
        ancestor_{{ step }} as ancestor_partner_id,
        {{ step }} as ancestor_distance
    from walk
    where ancestor_{{ step }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
