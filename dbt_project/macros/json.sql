{#- Reading the JSON text the trackers send, on every engine. DuckDB has a JSON type and extracts many paths
    in one parse; Spark parses each document once into a struct (from_json), its fields as text. -#}

{#- One text value of a JSON document, null when absent. -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    ({{ column }} ->> '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- A JSON value (object or array) inside a document, as JSON. -#}
{% macro json_value(column, path) -%}
    {{ return(adapter.dispatch('json_value')(column, path)) }}
{%- endmacro %}

{% macro default__json_value(column, path) -%}
    ({{ column }} -> '{{ path }}')
{%- endmacro %}

{% macro spark__json_value(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Many top-level members of a JSON object parsed at once: `json_text_fields('properties', names) as fields`,
    then `json_text_field('fields', names, 'price')` reads one of them as text. -#}
{% macro json_text_fields(column, names) -%}
    {{ return(adapter.dispatch('json_text_fields')(column, names)) }}
{%- endmacro %}

{% macro default__json_text_fields(column, names) -%}
    json_extract_string({{ column }}, [{% for name in names %}'$.{{ name }}'{{ ', ' if not loop.last }}{% endfor %}])
{%- endmacro %}

{% macro spark__json_text_fields(column, names) -%}
    from_json({{ column }}, '{% for name in names %}`{{ name }}` string{{ ", " if not loop.last }}{% endfor %}')
{%- endmacro %}

{% macro json_text_field(fields, names, name) -%}
    {{ return(adapter.dispatch('json_text_field')(fields, names, name)) }}
{%- endmacro %}

{% macro default__json_text_field(fields, names, name) -%}
    {{ fields }}[{{ names.index(name) + 1 }}]
{%- endmacro %}

{% macro spark__json_text_field(fields, names, name) -%}
    {{ fields }}.`{{ name }}`
{%- endmacro %}

{#- The elements of a JSON array column, one row each with its position: `from {{ json_array_items('p', 'items') }}`
    gives `item_offsets.item_offset` (0-based) beside p's columns; the element is json_array_item('p.items'). -#}
{% macro json_array_items(relation_alias, column) -%}
    {{ return(adapter.dispatch('json_array_items')(relation_alias, column)) }}
{%- endmacro %}

{% macro default__json_array_items(relation_alias, column) -%}
    {{ relation_alias }},
    unnest(range(cast(json_array_length({{ relation_alias }}.{{ column }}) as bigint))) as item_offsets (item_offset)
{%- endmacro %}

{% macro spark__json_array_items(relation_alias, column) -%}
    {{ relation_alias }}
    lateral view posexplode(from_json({{ relation_alias }}.{{ column }}, 'array<string>')) item_offsets
        as item_offset, item_json
{%- endmacro %}

{% macro json_array_item(column) -%}
    {{ return(adapter.dispatch('json_array_item')(column)) }}
{%- endmacro %}

{% macro default__json_array_item(column) -%}
    json_extract({{ column }}, '$[' || item_offsets.item_offset || ']')
{%- endmacro %}

{% macro spark__json_array_item(column) -%}
    item_offsets.item_json
{%- endmacro %}
