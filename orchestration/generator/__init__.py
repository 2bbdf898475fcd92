"""The synthetic shop: writes a landing zone with planted, exactly counted behaviour and faults (truth.json)."""

from orchestration.generator.landing_zone import generate_landing_zone

__all__ = ["generate_landing_zone"]
