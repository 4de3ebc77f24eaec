{#- Fresh planner statistics for a table dbt has just built, on engines whose planner needs them (post-hook of
    every model, dbt_project.yml). PostgreSQL gathers statistics only when autovacuum gets to a new table, so the
    next model in the same run was planned without them: on the demo preset `int_transactions_converted`, which
    joins the freshly built judged transactions, ran for more than 10 minutes on a plan made for an empty table
    (a few seconds once the statistics existed). DuckDB and Spark plan from the data itself: nothing to run. -#}
{% macro analyze_after_build() -%}
    {{ return(adapter.dispatch('analyze_after_build', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__analyze_after_build() -%}
{%- endmacro %}

{% macro postgres__analyze_after_build() -%}
    {%- if model.config.materialized != 'view' %}analyze {{ this }}{% endif -%}
{%- endmacro %}
