{#- One row per distinct (source, medium) of `relation` with its default channel: the first rule of
    seeds/channel_grouping.csv whose non-empty patterns all match. Matching the few distinct pairs, not
    every session, keeps the regular expressions off the hot path. -#}
{% macro default_channel(relation) -%}
    with pairs as (
        select distinct
            source,
            medium
        from {{ relation }}
    ),

    rules as (
        select * from {{ ref('channel_grouping') }}
    )

    select
        pairs.source,
        pairs.medium,
        min_by(rules.channel, rules.priority) as channel
    from pairs
    inner join rules
        on
            (coalesce(rules.source_pattern, '') = '' or {{ matches_pattern("coalesce(pairs.source, '')", 'rules.source_pattern') }})
            and (coalesce(rules.medium_pattern, '') = '' or {{ matches_pattern("coalesce(pairs.medium, '')", 'rules.medium_pattern') }})
    group by pairs.source, pairs.medium
{%- endmacro %}
