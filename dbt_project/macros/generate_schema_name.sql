{#- Layers live in plainly named schemas (staging, intermediate, marts, reference) that analysts and BI
    tools address directly, not in dbt's default "<target>_<custom>" names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
