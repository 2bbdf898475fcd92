{#- A full refresh of an incremental model leaves its `<model>__dbt_backup` table behind on dbt-duckdb (and
    dbt's relation cache believes it gone, so a lookup does not find it): drop it if it exists after every
    run, so the catalog does not grow. Through the adapter's own drop, so it works on any engine. -#}
{% macro drop_build_leftovers() %}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.materialized in ['table', 'incremental'] -%}
            {%- do adapter.drop_relation(api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias ~ '__dbt_backup', type='table'
            )) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
