{#- The raw layer on engines that read it as Parquet (the Spark target): every raw source becomes a table over
    its folder of the loader's Parquet export (orchestration/loader/raw_parquet.py), re-created on each run so
    that it lists the files of the loads landed since. On DuckDB the loader writes the raw tables themselves. -#}
{% macro register_raw_parquet_tables() %}
    {{ return(adapter.dispatch('register_raw_parquet_tables')()) }}
{% endmacro %}

{% macro default__register_raw_parquet_tables() %}{% endmacro %}

{% macro spark__register_raw_parquet_tables() %}
    {%- if execute -%}
        {%- set folder = env_var('FUNNELHOUSE_RAW_PARQUET') -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query(
                'create table raw.' ~ source.name ~ " using parquet location '" ~ folder ~ '/' ~ source.name ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
