{#- Incremental strategies by engine (README, "Spark"). On DuckDB a device's rows are replaced with
    delete+insert. Spark's Parquet tables cannot delete rows, and merging on a key would keep a device's
    rows that a re-sessionized history no longer has (two sessions joined by a late event): there, the
    models that replace every row of the run's devices are rebuilt whole (`table`). On Databricks' Delta,
    dbt-databricks' `replace_where` is the strategy that matches delete+insert. -#}
{% macro replaced_by_device() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- Models whose incremental run rebuilds whole days: Spark overwrites exactly those days' partitions. -#}
{% macro days_replaced(day_column) -%}
    {%- if target.type == 'spark' -%}
        {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [day_column]}) }}
    {%- else -%}
        {{ return({'incremental_strategy': 'delete+insert', 'unique_key': day_column}) }}
    {%- endif -%}
{%- endmacro %}
