"""Segment performance (CONTRACT section 9) on the generated video shop, held against what the generator planted:
a conversion lift on one host, one format and one hotspot segment (truth.json planted.best_*). The planted best
must be measured best and beat every other variant of its dimension at p < 0.05.

Length carries no lift of its own, yet no test claims its buckets convert alike: the catalog balances reels
against long pieces within every host and format, not the finer buckets, so the planted host and format lifts
leak into them (on this fixture 60-179s and 300s+ convert significantly below 180-299s because they hold fewer
lifted videos), and the best of four noisy buckets is a maximum of noise besides. Length is held only to what
must be true of any data: the statistics are the textbook formulas, and the two length marts agree."""

import math
from pathlib import Path

import pytest

from tests.conftest import query

PLANTED = {"host": "best_host", "format": "best_format", "video_segment": "best_segment"}
SIGNIFICANCE_LEVEL = 0.05
# Abramowitz & Stegun 26.2.17 errs by under 7.5e-8 on the tail, twice that on a two-sided p-value.
P_VALUE_TOLERANCE = 1.5e-7
Z_95 = 1.96


def _variants(db: Path, dimension: str) -> dict[str, dict]:
    columns = (
        "variant, viewers, converters, conversion_rate, conversion_rate_ci_low, conversion_rate_ci_high, "
        "views, best_variant, is_best_variant, p_value_vs_best, is_significant, is_sample_too_small"
    )
    rows = query(db, f"select {columns} from marts.fct_segment_performance where dimension = $d", {"d": dimension})
    names = [c.strip() for c in columns.split(",")]
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def _exact_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided pooled two-proportion z-test, with the exact normal tail (erfc keeps tiny p-values precise)."""
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def _wilson(x: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval, in its textbook form around the observed rate."""
    p = x / n
    centre = (p + Z_95**2 / (2 * n)) / (1 + Z_95**2 / n)
    half = Z_95 / (1 + Z_95**2 / n) * math.sqrt(p * (1 - p) / n + Z_95**2 / (4 * n**2))
    return centre - half, centre + half


@pytest.mark.parametrize("dimension", PLANTED)
def test_the_planted_best_variant_is_the_measured_best(video_shop, dimension):
    truth, db = video_shop
    best = [name for name, row in _variants(db, dimension).items() if row["is_best_variant"]]
    assert best == [truth["planted"][PLANTED[dimension]]]


@pytest.mark.parametrize("dimension", PLANTED)
def test_the_planted_best_beats_every_other_variant_significantly(video_shop, dimension):
    truth, db = video_shop
    variants = _variants(db, dimension)
    others = {name: row for name, row in variants.items() if name != truth["planted"][PLANTED[dimension]]}
    assert len(others) >= 2
    for name, row in others.items():
        assert row["p_value_vs_best"] < SIGNIFICANCE_LEVEL, (name, row)
        assert row["is_significant"] and not row["is_sample_too_small"], (name, row)


@pytest.mark.parametrize("dimension", [*PLANTED, "length_bucket"])
def test_the_statistics_are_the_textbook_wilson_interval_and_z_test(video_shop, dimension):
    _, db = video_shop
    variants = _variants(db, dimension)
    best = variants[next(name for name, row in variants.items() if row["is_best_variant"])]
    for name, row in variants.items():
        low, high = _wilson(row["converters"], row["viewers"])
        assert row["conversion_rate_ci_low"] == pytest.approx(low, abs=1e-12), name
        assert row["conversion_rate_ci_high"] == pytest.approx(high, abs=1e-12), name
        assert 0 <= low <= row["conversion_rate"] <= high <= 1, name
        if row is best:
            assert row["p_value_vs_best"] is None
            continue
        exact = _exact_p_value(row["converters"], row["viewers"], best["converters"], best["viewers"])
        assert row["p_value_vs_best"] == pytest.approx(exact, abs=P_VALUE_TOLERANCE), name
        assert row["conversion_rate"] <= best["conversion_rate"] or row["is_sample_too_small"], name


def test_length_buckets_hold_the_catalog_lengths_and_both_length_marts_agree(video_shop):
    _, db = video_shop
    lengths = [int(length) for (length,) in query(db, "select length_s from staging.stg_videos")]
    edges = {"0-59s": (0, 60), "60-179s": (60, 180), "180-299s": (180, 300), "300s+": (300, math.inf)}
    expected_videos = {bucket: sum(low <= length < high for length in lengths) for bucket, (low, high) in edges.items()}
    curve = query(db, "select length_bucket, videos, viewers, converters, views from marts.fct_video_length_curve")
    assert {bucket: videos for bucket, videos, *_ in curve} == {
        bucket: videos for bucket, videos in expected_videos.items() if videos
    }
    segments = _variants(db, "length_bucket")
    for bucket, _, viewers, converters, views in curve:
        row = segments[bucket]
        assert (row["viewers"], row["converters"], row["views"]) == (viewers, converters, views), bucket
