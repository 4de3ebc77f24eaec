{#- The keyword that has a CTE computed at each of its reads instead of stored once. DuckDB (and PostgreSQL) store a
    CTE that is read more than once; when it is a plain filter of another stored CTE, a second stored copy of
    millions of rows costs more than filtering twice (macro judge_rows, `valid_copies`; docs/benchmarks.md). Spark
    SQL has no such keyword. Use it after `as`: `name as {{ cte_inlined() }} (...)`. -#}
{% macro cte_inlined() -%}
    {{ return(adapter.dispatch('cte_inlined', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__cte_inlined() -%}
    {{ return('not materialized') }}
{%- endmacro %}

{% macro spark__cte_inlined() -%}
    {{ return('') }}
{%- endmacro %}
