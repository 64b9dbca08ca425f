"""Sensor analytics: the streaming anomaly detector, learned per-sensor baselines, conservation
limits and sensor health (``docs/sensors.md``). The fixed-limit rules (thresholds, glass-break,
tamper) live in ``artguard.rules.sensors``."""

from __future__ import annotations

from artguard.rules.base import Rule
from artguard.sensors.conservation_rule import ConservationRule
from artguard.sensors.detector import DetectorConfig, StreamingDetector
from artguard.sensors.health import ImpossibleValueRule, SilentSensorRule, StuckValueRule
from artguard.sensors.learned_rules import (
    ClimateDriftRule,
    MotionWhenStillRule,
    VibrationUnusualRule,
)
from artguard.site import Site


def sensor_rules(site: Site) -> list[Rule]:
    """The learned-baseline, conservation and health rules for every sensor of ``site``."""
    return [
        MotionWhenStillRule(site),
        VibrationUnusualRule(site),
        ClimateDriftRule(site),
        ConservationRule(site),
        ImpossibleValueRule(site),
        StuckValueRule(site),
        SilentSensorRule(site),
    ]


__all__ = [
    "ClimateDriftRule",
    "ConservationRule",
    "DetectorConfig",
    "ImpossibleValueRule",
    "MotionWhenStillRule",
    "SilentSensorRule",
    "StreamingDetector",
    "StuckValueRule",
    "VibrationUnusualRule",
    "sensor_rules",
]
