{#-
  dbt's own should_full_refresh(), which every incremental materialization and is_incremental() ask, with one
  addition: a model named in the `rebuilt_in_full` var is rebuilt in full even without --full-refresh. A run
  sets it for the incremental models whose kept rows were built by code that changed since the last build
  (orchestration/model_changes.py), so an upgrade rebuilds them and leaves every other incremental model be.
-#}
{% macro should_full_refresh() %}
  {% if model.name in var('rebuilt_in_full', []) %}
    {% do return(true) %}
  {% endif %}
  {% set config_full_refresh = config.get('full_refresh') %}
  {% if config_full_refresh is none %}
    {% set config_full_refresh = flags.FULL_REFRESH %}
  {% endif %}
  {% do return(config_full_refresh) %}
{% endmacro %}
