{#- dbt's contract check on PostgreSQL, with the contract's data types in PostgreSQL's spelling (contract_data_type). -#}
{% macro postgres__get_empty_schema_sql(columns) -%}
    {{ default__get_empty_schema_sql(contract_columns(columns)) }}
{%- endmacro %}
