{#-
    The first failed check of a row, in two steps over an ordered list of (condition, reason, field) `checks`, the
    field as a SQL expression (a quoted column name, or a column holding one); the order is the documented
    precedence (docs/data-contract.md, "Quarantine reasons"). One list keeps reason and field from drifting apart.
    first_failed_check: the 1-based position of the first check whose condition holds (null when none does).
    first_rejection: the reason and the field of the check at that position, read from `index_column`.
    Each condition is evaluated once per row: a second searched `case` for the field evaluated every condition again,
    and on the large preset's transactions that took 10 of the 28 seconds the checks cost (docs/benchmarks.md).
-#}
{% macro first_failed_check(checks) -%}
    case
        {%- for condition, reason, field in checks %}
        when {{ condition }} then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro first_rejection(checks, index_column, reason_alias='rejection_reason', field_alias='rejected_field') -%}
    case {{ index_column }}
        {%- for condition, reason, field in checks %}
        when {{ loop.index }} then '{{ reason }}'
        {%- endfor %}
    end as {{ reason_alias }},
    case {{ index_column }}
        {%- for condition, reason, field in checks %}
        when {{ loop.index }} then {{ field }}
        {%- endfor %}
    end as {{ field_alias }}
{%- endmacro %}
