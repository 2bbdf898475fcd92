{#- Grain test: no two rows share the same values of `columns`.
    `new_rows` (a placeholder of get_where_subquery, in macros/this_run.sql) names the rows an incremental
    run wrote: only their values are checked, against every row, so a new row repeating an old row's
    values fails as well as two new rows alike. The new values are joined to the whole table rather than
    the whole table grouped: a probe of one column instead of a hash of millions of keys. On a full build,
    and without `new_rows`, every row is grouped. -#}
{% test unique_combination(model, columns, new_rows=none) %}
{%- set new_rows_condition = rows_of_this_run(new_rows) if new_rows else '1=1' %}
{%- if new_rows_condition == '1=1' %}
select {{ columns | join(', ') }}, count(*) as rows_with_these_values
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- else %}
select
    {%- for column in columns %}
    new_values.{{ column }},
    {%- endfor %}
    count(*) as rows_with_these_values
from (
    select distinct {{ columns | join(', ') }} from {{ model }} where {{ new_rows_condition }}
) as new_values
inner join {{ model }} as every_row
    on
    {%- for column in columns %}
        {{ 'and ' if not loop.first }}new_values.{{ column }} is not distinct from every_row.{{ column }}
    {%- endfor %}
group by
    {%- for column in columns %}
    {{ ', ' if not loop.first }}new_values.{{ column }}
    {%- endfor %}
having count(*) > 1
{%- endif %}
{% endtest %}
