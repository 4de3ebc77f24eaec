{#- Names of every landing entity in the contract (models/staging/program/_program__sources.yml), in YAML
    order; empty at parse time. Models that ref one relation per entity list them in `-- depends_on:` hints
    (dbt cannot see refs made in a loop); dbt stops with a clear error if a new entity's hint is missing. -#}
{% macro landing_entities() -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.source_name == 'program' -%}
            {%- do names.append(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(names) -}}
{%- endmacro %}
