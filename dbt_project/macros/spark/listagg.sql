{#- dbt.listagg on Spark, in the order asked for: dbt-spark's own ignores `order by` (with a warning), so a
    path's channels would come in whatever order the shuffle left them. Ascending orders only. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set collected -%}
        {%- if order_by_clause -%}
            {%- set order_by = order_by_clause | trim -%}
            {%- if not order_by.lower().startswith('order by ') or ' desc' in order_by.lower() -%}
                {{ exceptions.raise_compiler_error('listagg on Spark takes "order by <ascending expressions>", not: ' ~ order_by) }}
            {%- endif -%}
            transform(
                array_sort(collect_list(struct(struct({{ order_by[9:] }}) as sort_key, {{ measure }} as item))),
                ordered -> ordered.item
            )
        {%- else -%}
            collect_list({{ measure }})
        {%- endif -%}
    {%- endset -%}
    {%- if limit_num -%}
        array_join(slice({{ collected }}, 1, {{ limit_num }}), {{ delimiter_text }})
    {%- else -%}
        array_join({{ collected }}, {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}
