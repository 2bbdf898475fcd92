"""The run manifest's watermark (int_loads_built) moves only once every incremental model is built: a model
left out of its parents could fail in a run whose watermark still moved, and the next run would never
rebuild what that model missed."""

import json

from orchestration.assets.dbt_project import ensure_manifest

MANIFEST_MODELS = {"model.funnelhouse.int_loads_this_run", "model.funnelhouse.int_devices_this_run"}
WATERMARK = "model.funnelhouse.int_loads_built"


def test_the_watermark_is_built_after_every_incremental_model():
    nodes = json.loads(ensure_manifest().read_text())["nodes"]
    models = {key: node for key, node in nodes.items() if node["resource_type"] == "model"}
    incremental = {key for key, node in models.items() if node["config"]["materialized"] == "incremental"}
    # Appended by load, the others rebuild devices or days, which the manifest names.
    rebuilt = {key for key in incremental if models[key]["config"]["incremental_strategy"] != "append"}
    readers = {key for key, node in models.items() if MANIFEST_MODELS & set(node["depends_on"]["nodes"])}
    assert len(incremental) >= 11 and len(rebuilt) >= 8  # stg_events to fct_funnel_daily
    assert rebuilt <= readers, "a model rebuilt by device or day that ignores the run manifest"
    expected_parents = (incremental | readers) - MANIFEST_MODELS - {WATERMARK}
    assert expected_parents - set(models[WATERMARK]["depends_on"]["nodes"]) == set()
