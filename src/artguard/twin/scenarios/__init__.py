"""Attack scenarios the twin can inject, by name (see docs/drills.md to write one).

Importing this package registers every scenario: each module below registers its own with
the :func:`~artguard.twin.scenarios.base.scenario` decorator.
"""

from __future__ import annotations

from artguard.twin.scenarios import at_doors, on_camera, on_sensors  # noqa: F401  (registers)
from artguard.twin.scenarios.base import SCENARIOS, Scenario, scenario, scenario_names

__all__ = ["SCENARIOS", "Scenario", "scenario", "scenario_names"]
