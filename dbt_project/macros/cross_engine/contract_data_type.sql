{#- A model contract's `data_type` (model YAML) in the target's spelling. The YAML spells DuckDB's names; an engine
    that spells one differently maps it here, and the contract check and the table's DDL both use the mapped name
    (get_empty_schema_sql, get_table_columns_and_constraints). -#}
{% macro contract_data_type(data_type) -%}
    {{ return(adapter.dispatch('contract_data_type', 'partner_retention')(data_type)) }}
{%- endmacro %}

{% macro default__contract_data_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro postgres__contract_data_type(data_type) -%}
    {{ return({'double': type_double()}.get(data_type | lower | trim, data_type)) }}
{%- endmacro %}

{#- The model's contract columns with their data types mapped (a copy; the model's own stay as written). -#}
{% macro contract_columns(columns) -%}
    {%- set mapped = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = dict(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copy.update({'data_type': contract_data_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do mapped.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(mapped) }}
{%- endmacro %}
