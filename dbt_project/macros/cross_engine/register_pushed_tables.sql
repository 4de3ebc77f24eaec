{#- On Spark, the first on-run-start hook: register every table that SparkEngine.push wrote as Parquet
    (orchestration/lib/engines/spark.py; its list in <spark warehouse>/pushed/tables.parquet) as an external Parquet
    table of the Spark catalog, replacing the previous registration, so the dbt sources read the pushed data with
    the columns it has now. In dbt's own session: no other JVM opens the Derby metastore. Nothing elsewhere: DuckDB
    holds the sources itself. -#}
{% macro register_pushed_tables() -%}
    {{ return(adapter.dispatch('register_pushed_tables', 'partner_retention')()) }}
{%- endmacro %}

{% macro default__register_pushed_tables() -%}
{%- endmacro %}

{% macro spark__register_pushed_tables() -%}
    {%- if execute -%}
        {%- set warehouse = run_query('set spark.sql.warehouse.dir').columns[1].values()[0] -%}
        {%- set pushed = run_query("select schema_name, table_name, location from parquet.`" ~ warehouse ~ "/pushed/tables.parquet`") -%}
        {%- for schema_name, table_name, location in pushed.rows -%}
            {%- do run_query('create schema if not exists ' ~ schema_name) -%}
            {%- do run_query('drop table if exists ' ~ schema_name ~ '.' ~ table_name) -%}
            {%- do run_query('create table ' ~ schema_name ~ '.' ~ table_name ~ " using parquet location '" ~ location ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
