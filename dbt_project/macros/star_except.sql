{#- The columns of `relation` in their order, without `except`, as a select list (portable `* exclude`).
    `replace` maps a column name to the SQL expression selected under that name, in the column's place.
    At parse time, before the relation exists, it is `*` (the SQL is not run then). -#}
{% macro star_except(relation, except, replace={}) -%}
    {%- if not execute -%}
        {{- return('*') -}}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower not in except -%}
        {%- if column.name | lower in replace -%}
            {%- do names.append(replace[column.name | lower] ~ ' as ' ~ adapter.quote(column.name)) -%}
        {%- else -%}
            {%- do names.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not names -%}
        {{ exceptions.raise_compiler_error("star_except: no columns left of " ~ relation) }}
    {%- endif -%}
    {{- return(names | join(',\n        ')) -}}
{%- endmacro %}
