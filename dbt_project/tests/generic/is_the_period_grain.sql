{#- Every row carries the build's period grain: the value of macro period_grain, the one home of the grains the
    project accepts (month, quarter), so no mart lists them again. A mart that mixes grains, or keeps rows of
    another grain than the run's, fails; the failure count is the number of such rows. Reads the rows of the
    window like every generic test (macro get_where_subquery). docs/quality.md, "dbt data tests". -#}
{% test is_the_period_grain(model, column_name) %}
    {{ config(fail_calc='coalesce(sum(other_grain_rows), 0)') }}
    select {{ adapter.quote(column_name) }} as found_grain, count(*) as other_grain_rows
    from {{ model }}
    where {{ adapter.quote(column_name) }} <> '{{ period_grain() }}' or {{ adapter.quote(column_name) }} is null
    group by {{ adapter.quote(column_name) }}
{% endtest %}
