{#- Aggregates that build lists, whose syntax differs by engine. -#}

{#- The distinct non-null values of a column, sorted, as one list. -#}
{% macro sorted_distinct_list(column) -%}
    {{ return(adapter.dispatch('sorted_distinct_list')(column)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(column) -%}
    array_sort(collect_set({{ column }}))
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(column) -%}
    list(distinct {{ column }} order by {{ column }}) filter (where {{ column }} is not null)
{%- endmacro %}

{#- One JSON array of objects, an object per row with the given members ({'key': expression, ...}), in the
    order of the `order_by` expressions (a list). Null members are written as null on every engine. Give
    amounts as double: Spark writes a decimal with all its places (54.9000), DuckDB as short as it goes. -#}
{% macro json_object_list(members, order_by) -%}
    {{ return(adapter.dispatch('json_object_list')(members, order_by)) }}
{%- endmacro %}

{% macro default__json_object_list(members, order_by) -%}
    to_json(
        transform(
            array_sort(collect_list(struct(
                struct({{ order_by | join(', ') }}) as sort_key,
                named_struct({% for key, expression in members.items() %}'{{ key }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %}) as member_values
            ))),
            ordered -> ordered.member_values
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}

{% macro duckdb__json_object_list(members, order_by) -%}
    to_json(list(
        json_object({% for key, expression in members.items() %}'{{ key }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
        order by {{ order_by | join(', ') }}
    ))
{%- endmacro %}
