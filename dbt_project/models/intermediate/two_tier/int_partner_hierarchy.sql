-- Each partner's place in the two-tier tree of the latest snapshot (docs/metrics.md "Two-tier programs"): the parent
-- link the marts use, the root of its tree, its depth, and why a listed link is not used. Walked with a fixed number
-- of self-joins (macro partner_link_walk, var two_tier_max_depth), never a recursive CTE: it runs on Spark too, and a
-- cycle in the links cannot loop forever.
{% set max_depth = var('two_tier_max_depth') | int %}
{% set steps = max_depth + 1 %}
with

partners as (
    select
        partner_id,
        parent_partner_id as listed_parent_partner_id
    from {{ ref('int_partners_latest') }}
),

-- A parent in no snapshot is dropped: the partner stays, at the top of its own tree.
links as (
    select
        partners.partner_id,
        partners.listed_parent_partner_id,
        parents.partner_id as parent_partner_id
    from partners
    left join partners as parents on partners.listed_parent_partner_id = parents.partner_id
),

first_walk as (
    {{ partner_link_walk('links', steps) }}
),

-- A partner that is its own ancestor within the walk is in a cycle; the cycle's length is the step that returns.
cycles as (
    select
        partner_id,
        case
            {%- for step in range(1, steps + 1) %}
            when ancestor_{{ step }} = partner_id then {{ step }}
            {%- endfor %}
        end as cycle_length
    from first_walk
    where partner_id in ({% for step in range(1, steps + 1) %}ancestor_{{ step }}{% if not loop.last %}, {% endif %}{% endfor %})
),

-- Cycle members lose their parent link and become the tops of their trees; their sub-partners keep theirs.
tree_links as (
    select
        links.partner_id,
        links.listed_parent_partner_id,
        case when cycles.partner_id is null then links.parent_partner_id end as parent_partner_id,
        links.listed_parent_partner_id is not null and links.parent_partner_id is null as has_unknown_parent,
        cycles.partner_id is not null as is_in_cycle,
        cycles.cycle_length
    from links
    left join cycles on links.partner_id = cycles.partner_id
),

second_walk as (
    {{ partner_link_walk('tree_links', steps) }}
),

final as (
    select
        tree_links.partner_id,
        tree_links.listed_parent_partner_id,
        tree_links.parent_partner_id,
        -- A chain still going after max_depth links has no known root or depth.
        case when second_walk.ancestor_{{ steps }} is null then
            coalesce(
                {%- for step in range(max_depth, 0, -1) %}
                second_walk.ancestor_{{ step }},
                {%- endfor %}
                tree_links.partner_id
            )
        end as root_partner_id,
        case
            {%- for step in range(1, steps + 1) %}
            when second_walk.ancestor_{{ step }} is null then {{ step - 1 }}
            {%- endfor %}
        end as depth,
        tree_links.is_in_cycle,
        tree_links.cycle_length,
        tree_links.has_unknown_parent,
        case
            when tree_links.has_unknown_parent then 'unknown_parent'
            when tree_links.is_in_cycle then 'parent_cycle'
            when second_walk.ancestor_{{ steps }} is not null then 'depth_exceeded'
        end as hierarchy_issue
    from tree_links
    inner join second_walk on tree_links.partner_id = second_walk.partner_id
)

select * from final
