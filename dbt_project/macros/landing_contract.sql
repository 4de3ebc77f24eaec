{#-
    One entity's landing contract from the source YAML (models/staging/program/_program__sources.yml):
    {'meta': entity meta `contract`, 'columns': {name: column meta `contract`}} in YAML order. The graph is
    only complete at execution; at parse time this returns an empty contract (the caller's SQL is not run).
-#}
{% macro landing_contract(entity) -%}
    {%- set found = {'meta': {}, 'columns': {}} -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.source_name == 'program' and node.name == entity -%}
            {%- do found.update({'meta': node.meta.get('contract', {})}) -%}
            {%- for name, column in node.columns.items() -%}
                {%- do found['columns'].update({name: column.meta.get('contract', {})}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not found['columns'] -%}
            {{ exceptions.raise_compiler_error("no landing contract for entity '" ~ entity ~ "' in the program source YAML") }}
        {%- endif -%}
    {%- endif -%}
    {{- return(found) -}}
{%- endmacro %}
