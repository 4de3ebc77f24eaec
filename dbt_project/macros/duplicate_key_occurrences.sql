{#
    The occurrence number of every raw row whose key appears more than once, first = lowest
    (_partition_date, _source_file, _source_row). Rows whose key is unique are not returned: their occurrence
    is 1 (callers coalesce). Same result as a row_number() over every row, but the sort only sees the few
    duplicated keys; a hash aggregate over the key column finds them. On 50M transactions the window over
    all rows (carrying every column) was the largest single cost of staging (docs/benchmarks.md).
    A null key is never "duplicated" here; every base model rejects a missing key before duplicate_key.
#}
{% macro duplicate_key_occurrences(relation, key) -%}
    select
        _source_file,
        _source_row,
        row_number() over (
            partition by {{ key }}
            order by _partition_date, _source_file, _source_row
        ) as key_occurrence
    from {{ relation }}
    where {{ key }} in (
        select {{ key }}
        from {{ relation }}
        group by {{ key }}
        having count(*) > 1
    )
{%- endmacro %}
