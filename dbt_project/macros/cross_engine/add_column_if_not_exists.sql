{#- The statement that adds a nullable column to an existing table unless it is there (a warehouse of an earlier
    version; create_predictive_tables). Spark SQL has no `add column if not exists`: none there, its warehouses are
    all newer than these columns and created with them. -#}
{% macro add_column_if_not_exists(relation, column, type) -%}
    {{ return(adapter.dispatch('add_column_if_not_exists', 'partner_retention')(relation, column, type)) }}
{%- endmacro %}

{% macro default__add_column_if_not_exists(relation, column, type) -%}
    {{ return('alter table ' ~ relation ~ ' add column if not exists ' ~ column ~ ' ' ~ type) }}
{%- endmacro %}

{% macro spark__add_column_if_not_exists(relation, column, type) -%}
    {{ return('') }}
{%- endmacro %}
