{#- The rows of a raw export table, one per key: a row landed again in a later file replaces the earlier
    one (later load, then later line of the same file). The daily exports and the catalog are snapshots
    that shops re-send to correct them. -#}
{% macro latest_landed(relation, key_columns) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by load_id desc, source_line desc
    ) = 1
{%- endmacro %}
