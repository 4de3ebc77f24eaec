{#- numerator / denominator as a float; null (not 0, not an error) when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast({{ numerator }} as {{ type_double() }}) / cast({{ denominator }} as {{ type_double() }})
    end
{%- endmacro %}
