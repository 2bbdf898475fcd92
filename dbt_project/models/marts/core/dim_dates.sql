-- The calendar: every day from the first a shop could report to years ahead, so that forecasts, metric
-- queries and BI date filters have a row for days with no activity. MetricFlow's time spine.
with days as (
    {{ dbt.date_spine("day", "cast('2020-01-01' as date)", "cast('2036-01-01' as date)") }}
)

select cast(date_day as date) as date_day
from days
