{#- dbt's cast on Spark (overrides dbt's default__cast there): the contracts of the marts name DuckDB's `varchar`,
    which Spark knows only with a length; its text type is `string`. dbt's contract check casts null to each
    declared type through this macro, so the declared types stay one list for every engine. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ 'string' if type | trim | lower == 'varchar' else type }})
{%- endmacro %}
