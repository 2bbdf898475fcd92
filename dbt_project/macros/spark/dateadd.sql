{#- dbt.dateadd on Spark, exact to the microsecond: dbt-spark's own goes through Unix seconds and drops the
    fraction (an audience's send_after would fall before its trigger's instant plus the delay). Found first
    through the project's dispatch search order (dbt_project.yml). -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
