{#- The elements of a JSON array column, one row each with its position: `from {{ json_array_items('p', 'items') }}`
    gives `item_offsets.item_offset` (0-based) beside p's columns; the element is json_array_item('p.items'). -#}
{% macro json_array_items(relation_alias, column) -%}
    {{ relation_alias }},
    unnest(range(cast(json_array_length({{ relation_alias }}.{{ column }}) as bigint))) as item_offsets (item_offset)
{%- endmacro %}

{% macro json_array_item(column) -%}
    json_extract({{ column }}, '$[' || item_offsets.item_offset || ']')
{%- endmacro %}
