"""Running store code in separate processes, to test locking across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from artguard.config import Settings

_ROOT = Path(__file__).resolve().parents[2]


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ARTGUARD_DATA_DIR"] = str(settings.data_dir)
    env["ARTGUARD_DATABASE_URL"] = settings.resolved_database_url
    env["PYTHONPATH"] = os.pathsep.join([str(_ROOT / "src"), str(_ROOT)])
    return env


def run_in_processes(code: str, settings: Settings, count: int, timeout: float = 120) -> None:
    """Start ``count`` Pythons running ``code`` at once (``GO`` file as the starting gun) and
    fail with their stderr if any of them fails. ``code`` sees ``settings`` and ``index``."""
    go = settings.data_dir / "GO"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    prelude = (
        "import os, sys, time\n"
        "from artguard.config import Settings\n"
        "settings = Settings.from_env()\n"
        "index = int(sys.argv[1])\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.005)\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", prelude + code, str(index)],
            env=settings_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]
    go.touch()
    failures = []
    for process in processes:
        _, stderr = process.communicate(timeout=timeout)
        if process.returncode != 0:
            failures.append(stderr)
    assert not failures, "\n---\n".join(failures)
