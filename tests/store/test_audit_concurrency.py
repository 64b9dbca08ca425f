"""Appends from many threads and processes at once keep one valid chain without gaps."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from artguard.config import Settings
from artguard.store.audit import AuditLog
from tests.store.helpers import run_in_processes


def test_threads_appending_at_once(engine: Engine) -> None:
    threads_count, per_thread = 8, 40
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        log = AuditLog(engine)  # one per caller, as services do; they share the lock
        try:
            start.wait()
            for i in range(per_thread):
                if i % 10 == 0:
                    log.append_many(
                        [
                            {"actor": f"t{n}", "action": "pair", "details": {"i": i, "k": k}}
                            for k in range(2)
                        ]
                    )
                else:
                    log.append(f"t{n}", "single", None, {"i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []

    expected = threads_count * (per_thread + per_thread // 10)
    log = AuditLog(engine)
    report = log.verify()
    assert report.ok, report
    assert report.entries_checked == expected
    entries = log.entries(limit=expected)
    assert [e.seq for e in entries] == list(range(1, expected + 1))
    for n in range(threads_count):  # each thread's entries kept their order
        mine = [e.details["i"] for e in entries if e.actor == f"t{n}" and e.action == "single"]
        assert mine == sorted(mine)


def test_processes_appending_at_once(settings: Settings, engine: Engine) -> None:
    code = (
        "from artguard.store.db import create_engine_for\n"
        "from artguard.store.audit import AuditLog\n"
        "log = AuditLog(create_engine_for(settings))\n"
        "for i in range(60):\n"
        "    log.append(f'p{index}', 'single', None, {'i': i})\n"
    )
    run_in_processes(code, settings, count=3)
    log = AuditLog(engine)
    report = log.verify()
    assert report.ok, report
    assert report.entries_checked == 180
