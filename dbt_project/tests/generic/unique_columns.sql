{#- No two rows of the model share their values in all the listed columns: the key of a model whose grain is more
    than one column (partner x period, currency x day). It groups by the columns themselves; a `unique` test on a
    key concatenated into one string (`partner_id || '|' || cast(day as varchar(10))`) built that string for every
    row first, and on the large preset's daily traffic that took longer than the grouping (docs/benchmarks.md).
    Like dbt's `unique`, a row with an empty key column is left to the not-null tests. Each failing row is one
    duplicated key with its number of rows; the failure count is the number of duplicated keys. Reads the rows of
    the window like every generic test (macro get_where_subquery). docs/quality.md, "dbt data tests". -#}
{% test unique_columns(model, column_names) %}
    select
        {%- for column in column_names %}
        {{ adapter.quote(column) }},
        {%- endfor %}
        count(*) as n_records
    from {{ model }}
    where {% for column in column_names %}{{ adapter.quote(column) }} is not null{{ ' and ' if not loop.last }}{% endfor %}
    group by {% for column in column_names %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
    having count(*) > 1
{% endtest %}
