"""A drill quiets the pipeline's warnings only while it runs."""

from __future__ import annotations

import logging

import pytest

from artguard.drill.runner import quiet_pipeline


def test_the_artguard_log_level_is_put_back_even_when_the_drill_fails() -> None:
    logger = logging.getLogger("artguard")
    before = logger.level
    with pytest.raises(RuntimeError), quiet_pipeline():
        assert logger.level == logging.ERROR
        raise RuntimeError("the drill failed")
    assert logger.level == before
