{#- Interim, replaced by the numpy model of the same name within this change: each state's share of the
    transitions into it, so the attribution marts build while the chain solver is written. -#}
select
    to_state as markov_state,
    cast(sum(transitions) as double) as removal_effect,
    cast(sum(transitions) as double) / sum(sum(transitions)) over () as removal_effect_share
from {{ ref('int_markov_transitions') }}
where to_state not in ('(conversion)', '(null)')
group by to_state
