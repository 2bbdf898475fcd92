{#- The run manifest (int_loads_this_run, int_devices_this_run) as the incremental models and their tests
    read it. The design, and why the watermark is what int_loads_built holds, is in int_loads_this_run.sql. -#}


{#- The newest load every incremental model had folded in when this run started: what int_loads_built
    holds, read by name, not by ref, since int_loads_built is built after every model that reads this (a
    ref would be a cycle). 0, every load, when there is none yet or on a full build. Read when the model
    compiles, as a number: Spark drops a table before it builds it anew, so int_loads_built could not read
    its own old row while being rebuilt. -#}
{% macro loads_built_through() -%}
    {%- set built = none if flags.FULL_REFRESH else model_relation('int_loads_built') -%}
    {%- set watermark = 0 -%}
    {%- if built is not none -%}
        {%- set watermark = run_query(
            'select coalesce(max(built_through_load_id), 0) from ' ~ built
        ).columns[0].values()[0] -%}
    {%- endif -%}
    cast({{ watermark }} as bigint)
{%- endmacro %}


{#- The existing table of a model of this project, none when it was never built. -#}
{% macro model_relation(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}


{#- On an incremental run, a WHERE clause keeping the devices of the run manifest: their history is rebuilt
    whole, every other device is left alone. Renders nothing on a full build. The ref is taken on every
    build, not only incremental ones, so dbt knows the dependency when it parses. -#}
{% macro only_devices_of_this_run(anonymous_id) -%}
    {%- set devices = ref('int_devices_this_run') -%}
    {%- if is_incremental() %}
        where {{ anonymous_id }} in (select devices.anonymous_id from {{ devices }} as devices)
    {%- endif %}
{%- endmacro %}


{#- Data tests of incremental models check the rows this run wrote, and everything on a full build. Test
    configs cannot call project macros when dbt parses them, so a test names the rows with a placeholder
    that is replaced here, when the test is compiled:
      where: "__loads_of_this_run__(load_id)"          the rows of the manifest's loads
      where: "__devices_of_this_run__(anonymous_id)"   the rows of the manifest's devices
    Several may be combined with `or`. unique_combination reads the same placeholders (its `new_rows`). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ rows_of_this_run(where) ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- `condition` with its placeholders replaced; `1=1` on a full build, where every row is new. -#}
{% macro rows_of_this_run(condition) -%}
    {%- set placeholder = modules.re.compile('__(loads|devices)_of_this_run__\\((\\w+)\\)') -%}
    {%- if not placeholder.search(condition) -%}
        {{ return(condition) }}
    {%- elif flags.FULL_REFRESH -%}
        {{ return('1=1') }}
    {%- endif -%}
    {%- set manifest = {
        'loads': ('load_id', model_relation('int_loads_this_run')),
        'devices': ('anonymous_id', model_relation('int_devices_this_run')),
    } -%}
    {%- set rendered = namespace(text=condition) -%}
    {%- for kind, column in placeholder.findall(condition) -%}
        {%- set key, relation = manifest[kind] -%}
        {%- set rendered.text = rendered.text.replace(
            '__' ~ kind ~ '_of_this_run__(' ~ column ~ ')',
            column ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ')'
        ) -%}
    {%- endfor -%}
    {{ return(rendered.text) }}
{%- endmacro %}
