{#- No row has column_name later than `other` (an attribution touch never follows its order). -#}
{% test not_after(model, column_name, other) %}
select {{ column_name }}, {{ other }}
from {{ model }}
where {{ column_name }} > {{ other }}
{% endtest %}
