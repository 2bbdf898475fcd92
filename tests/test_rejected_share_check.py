"""The rejected-share check judges each file loaded in a run: one bad file among many good ones warns and is
named, however small the share pooled over the run (CONTRACT section 5, issue 11 point 9)."""

from pathlib import Path

import dagster as dg

from orchestration.assets.landing import LANDING_ASSETS, REJECTED_SHARE_CHECK, raw_table_key
from orchestration.resources import build_resources
from orchestration.settings import Settings
from tests.conftest import event, write_lines

GOOD_FILES = 30
LINES_PER_FILE = 100
AD_SPEND_HEADER = "date,platform,campaign,spend,currency,impressions,clicks\n"
AD_SPEND_ROW = "2026-09-01,google_ads,fall_drop,120.50,EUR,10000,300\n"
NEGATIVE_SPEND_ROW = "2026-09-01,google_ads,fall_drop,-1,EUR,10000,300\n"


def _events_file(landing: Path, relative: str, bad: int) -> None:
    """LINES_PER_FILE lines, the last `bad` of them rejected (a quantity of 0 is invalid_quantity)."""
    stem = Path(relative).stem
    lines = [event(f"{stem}-{i}") for i in range(LINES_PER_FILE - bad)]
    bad_cart = {"product_id": "p1", "price": 5, "quantity": 0}
    lines += [event(f"{stem}-bad-{i}", "add_to_cart", properties=bad_cart) for i in range(bad)]
    write_lines(landing, relative, lines)


def _good_event_files(landing: Path) -> None:
    for day in range(GOOD_FILES):
        _events_file(landing, f"events/day-{day:02d}.jsonl", bad=0)


def _check(landing: Path, tmp_path: Path, table: str, source: str) -> dg.AssetCheckEvaluation:
    """Materialise the source's landing asset, as the job does; the rejected-share check of raw.<table>."""
    settings = Settings(landing_dir=landing, db_path=tmp_path / "warehouse.duckdb")
    assets = [asset for asset in LANDING_ASSETS if asset.node_def.name == f"load_{source}"]
    result = dg.materialize(assets, resources={"warehouse": build_resources(settings)["warehouse"]})
    assert result.success
    (check,) = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.asset_key == raw_table_key(table) and evaluation.check_name == REJECTED_SHARE_CHECK
    ]
    return check


def test_one_bad_event_file_among_many_good_ones_warns_and_is_named(landing, tmp_path):
    _good_event_files(landing)
    _events_file(landing, "events/broken/tracker.jsonl", bad=5)

    check = _check(landing, tmp_path, "events", "events")

    # Pooled, 5 of 3,100 lines (0.16%) would pass: the file's own 5% must not.
    assert 5 / ((GOOD_FILES + 1) * LINES_PER_FILE) < 0.01
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert "events/broken/tracker.jsonl: 5.0% (5 of 100 rows)" in check.description
    assert check.metadata["files_over_limit"].value == [
        {"path": "events/broken/tracker.jsonl", "share": 0.05, "rejected": 5, "rows": 100}
    ]


def test_every_event_file_at_or_under_one_percent_passes(landing, tmp_path):
    _good_event_files(landing)
    _events_file(landing, "events/one-bad-line.jsonl", bad=1)  # 1 of 100: exactly the limit, not over it

    check = _check(landing, tmp_path, "events", "events")

    assert check.passed
    assert check.metadata["files_over_limit"].value == []
    assert check.metadata["rejected"].value == 1


def test_a_bad_export_file_warns_and_is_named_beside_a_good_one(landing, tmp_path):
    (landing / "ad_spend").mkdir()
    (landing / "ad_spend" / "ad_spend_good.csv").write_text(AD_SPEND_HEADER + AD_SPEND_ROW * 200)
    (landing / "ad_spend" / "ad_spend_bad.csv").write_text(AD_SPEND_HEADER + AD_SPEND_ROW * 48 + NEGATIVE_SPEND_ROW * 2)

    check = _check(landing, tmp_path, "ad_spend", "ad_spend")

    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert "ad_spend/ad_spend_bad.csv: 4.0% (2 of 50 rows)" in check.description
    assert "ad_spend_good.csv" not in check.description
    assert [f["path"] for f in check.metadata["files_over_limit"].value] == ["ad_spend/ad_spend_bad.csv"]
