"""The independent verification script in docs/store.md works on a real log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from artguard.config import Settings
from artguard.store.audit import AuditLog
from artguard.store.db import open_database

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def _doc_verifier() -> Callable[[str], str | None]:
    section = DOC.read_text(encoding="utf-8").split("### Verifying independently", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "no python block under 'Verifying independently'"
    script = "\n".join(line for line in code.group(1).splitlines() if not line.startswith("print("))
    namespace: dict[str, object] = {}
    exec(compile(script, str(DOC), "exec"), namespace)
    return namespace["verify"]  # type: ignore[return-value]


@pytest.fixture
def database(sqlite_settings: Settings) -> tuple[AuditLog, str]:
    engine = open_database(sqlite_settings)
    log = AuditLog(engine)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(30):
        log.append(
            f"op:{n % 3}",
            "door.locked",
            f"d-{n}",
            {"n": n, "note": "über ☃"},
            at=start + timedelta(hours=n),
        )
    yield log, str(sqlite_settings.data_dir / "artguard.db")
    engine.dispose()


def test_doc_script_accepts_an_intact_and_a_purged_log(database: tuple[AuditLog, str]) -> None:
    log, path = database
    verify = _doc_verifier()
    assert verify(path) is None
    log.purge_before(datetime(2025, 1, 1, 10, tzinfo=UTC))
    log.append("op:ana", "after", None, {})
    assert log.verify().ok
    assert verify(path) is None


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET details = '{\"n\":1}' WHERE seq = 5",
        "DELETE FROM audit_log WHERE seq = 7",
        "DELETE FROM audit_log WHERE seq <= 3",
        "UPDATE audit_log SET seq = seq + 100 WHERE seq = 30",
    ],
)
def test_doc_script_finds_tampering(database: tuple[AuditLog, str], tamper: str) -> None:
    log, path = database
    with log.engine.begin() as conn:
        conn.exec_driver_sql(tamper)
    assert _doc_verifier()(path) is not None
    assert not log.verify().ok
