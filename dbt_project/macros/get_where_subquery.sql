{#- The rows a data test reads (dbt calls this for the model a generic test is on; it overrides dbt's own).

    A window run that is not a full refresh (the nightly, a backfill) tests what it could have changed: the rows of
    the periods from the window's first period on (`month_start_date`), or of the landing partitions from its first
    day on (`_partition_date`); from an earlier day when the run judged again rows that landed before its window
    (run var checked_from: orchestration/lib/build_start.py). Earlier periods depend only on data the window did not touch, and they were tested
    when they were built. A model with neither column, a run without a window, and a full refresh (the weekly
    rebuild, `pra run --full-refresh`) test every row. docs/quality.md, "Which rows the data tests and the gates read".
    A test's own `where` config still applies, on top. -#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window_filter = test_window_filter(relation) -%}
    {%- if window_filter -%}
        {%- do filters.append(window_filter) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ (filters | join(' and ')) ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The window's filter on `relation` for a data test, or '' (every row): see get_where_subquery. -#}
{% macro test_window_filter(relation) -%}
    {%- if not execute or flags.FULL_REFRESH or not has_partition_window() -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set columns = tested_relation_columns(relation) -%}
    {#- From the window's first day, or from the earlier day of the rows outside it the run judged again. -#}
    {%- set window_start = "cast('" ~ (run_var('checked_from') or run_var('min_date')) ~ "' as date)" -%}
    {%- if 'month_start_date' in columns -%}
        {%- do return('month_start_date >= cast(' ~ period_trunc(window_start) ~ ' as date)') -%}
    {%- elif '_partition_date' in columns -%}
        {%- do return('_partition_date >= ' ~ window_start) -%}
    {%- endif -%}
    {%- do return('') -%}
{%- endmacro %}


{#- The lower-cased column names of `relation`, a model the current test depends on. A model with an enforced
    contract has exactly the columns it declares (dbt fails its build otherwise): they are read from the project,
    which costs no query. Any other relation is described by the database, one query per test. -#}
{% macro tested_relation_columns(relation) -%}
    {%- for unique_id in model.depends_on.nodes if unique_id in graph.nodes -%}
        {%- set node = graph.nodes[unique_id] -%}
        {%- if node.config.contract.enforced and (node.alias | lower) == (relation.identifier | lower)
              and (node.schema | lower) == (relation.schema | lower) -%}
            {%- do return(node.columns.keys() | map('lower') | list) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) -%}
{%- endmacro %}
