{#-
    The first failed check of a row, as two columns: the reason and the field it names.
    `checks` is an ordered list of (condition, reason, field) with the field as a SQL expression (a quoted
    column name, or a column holding one); the order is the documented precedence
    (docs/data-contract.md, "Quarantine reasons"). One list keeps reason and field from drifting apart.
-#}
{% macro first_rejection(checks, reason_alias='rejection_reason', field_alias='rejected_field') -%}
    case
        {%- for condition, reason, field in checks %}
        when {{ condition }} then '{{ reason }}'
        {%- endfor %}
    end as {{ reason_alias }},
    case
        {%- for condition, reason, field in checks %}
        when {{ condition }} then {{ field }}
        {%- endfor %}
    end as {{ field_alias }}
{%- endmacro %}
