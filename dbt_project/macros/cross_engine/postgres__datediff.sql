{#- dbt.datediff on PostgreSQL, as a whole number: dbt-postgres computes it with date_part, a double precision,
    where DuckDB (and the marts' contracts) have a bigint. -#}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    cast({{ dbt.postgres__datediff(first_date, second_date, datepart) }} as {{ dbt.type_bigint() }})
{%- endmacro %}
