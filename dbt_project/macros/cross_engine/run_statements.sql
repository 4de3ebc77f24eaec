{#- Several DDL statements as one hook: DuckDB (and PostgreSQL) run them as one `;`-separated text; a Spark session
    runs one statement per call, so its branch runs each and leaves the hook empty. -#}
{% macro run_statements(statements) -%}
    {{ return(adapter.dispatch('run_statements', 'partner_retention')(statements)) }}
{%- endmacro %}

{% macro default__run_statements(statements) -%}
    {{ return(statements | join(';\n')) }}
{%- endmacro %}

{% macro spark__run_statements(statements) -%}
    {%- if execute -%}
        {%- for statement in statements -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
