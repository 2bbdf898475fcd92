{#- Attribution test (CONTRACT section 9): the credits of every group (an order under one model) add up to
    expected_total, to floating-point noise. -#}
{% test credits_add_up(model, group_by, expected_total, where=none) %}
select {{ group_by | join(', ') }}, sum(credit) as total_credit
from {{ model }}
{% if where %}where {{ where }}{% endif %}
group by {{ group_by | join(', ') }}
having abs(sum(credit) - {{ expected_total }}) > 1e-9
{% endtest %}
