{#- Every listed column of the model is filled: one data test for the columns a model declares not null, where one
    `not_null` test per column cost dbt a node each (about 50 ms of its Python per test and run, whatever the
    table's size; docs/benchmarks.md). A failing row names the column and how many of the rows read are empty in
    it; the failure count is the number of empty cells. Reads the rows of the window like every generic test
    (macro get_where_subquery). A column whose not-null rule has a condition keeps its own `not_null` test with a
    `where`. docs/quality.md, "dbt data tests". -#}
{% test not_null_columns(model, column_names) %}
    {{ config(fail_calc='coalesce(sum(empty_rows), 0)') }}
    with counted as (
        select
            {%- for column in column_names %}
            sum(case when {{ adapter.quote(column) }} is null then 1 else 0 end) as {{ adapter.quote(column) }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )
    {%- for column in column_names %}
    select '{{ column }}' as column_name, {{ adapter.quote(column) }} as empty_rows
    from counted
    where {{ adapter.quote(column) }} > 0
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endtest %}
