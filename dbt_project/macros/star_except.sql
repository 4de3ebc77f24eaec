{#- The columns of `relation` in their order, without `except`, as a select list (portable `* exclude`).
    At parse time, before the relation exists, it is `*` (the SQL is not run then). -#}
{% macro star_except(relation, except) -%}
    {%- if not execute -%}
        {{- return('*') -}}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in except -%}
        {%- do names.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- if not names -%}
        {{ exceptions.raise_compiler_error("star_except: no columns left of " ~ relation) }}
    {%- endif -%}
    {{- return(names | join(',\n        ')) -}}
{%- endmacro %}
