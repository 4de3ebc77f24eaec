{#-
    Each partner of `links` (a relation or CTE with partner_id, parent_partner_id) with its ancestors
    ancestor_1 (the parent) .. ancestor_<steps>, null above the top of its chain: a fixed number of self-joins,
    because Spark and other targets have no recursive CTE, and a bounded walk cannot loop forever on a cycle
    (docs/metrics.md "Two-tier programs").
-#}
{% macro partner_link_walk(links, steps) -%}
    select
        step_0.partner_id,
        {%- for step in range(steps) %}
        step_{{ step }}.parent_partner_id as ancestor_{{ step + 1 }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ links }} as step_0
    {%- for step in range(1, steps) %}
    left join {{ links }} as step_{{ step }}
        on step_{{ step - 1 }}.parent_partner_id = step_{{ step }}.partner_id
    {%- endfor %}
{%- endmacro %}
