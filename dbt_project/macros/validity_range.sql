{#-
    Two columns that make rows of a history valid over half-open ranges: valid_from_date is the row's own date,
    except the first row per `partition_by`, which is valid from `open_start` (it also covers everything before);
    valid_to_date is the next row's date, or 9999-12-31 for the last. Joins then use plain bounds, which
    DuckDB can hash (docs/benchmarks.md).
-#}
{% macro validity_range(partition_by, date_column, open_start='0001-01-01') -%}
    case
        when row_number() over (partition by {{ partition_by }} order by {{ date_column }}) = 1
            then cast('{{ open_start }}' as date)
        else {{ date_column }}
    end as valid_from_date,
    coalesce(
        lead({{ date_column }}) over (partition by {{ partition_by }} order by {{ date_column }}),
        cast('9999-12-31' as date)
    ) as valid_to_date
{%- endmacro %}
