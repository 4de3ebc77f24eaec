{#- The materialization of a model that only reads another model's rows again (valid rows of a judged table, a mart
    that republishes an intermediate model under its contract): a view, so a run does not write the same rows twice.
    On Spark a table: its engine hands models back to the Python side (publish suites, publication) as their Parquet
    files, which a view does not have (docs/scale-out.md, "Spark as the engine"). -#}
{% macro view_materialization() -%}
    {{ return(adapter.dispatch('view_materialization', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__view_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro spark__view_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
