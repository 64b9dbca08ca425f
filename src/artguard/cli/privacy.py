"""``artguard privacy``: data-subject export and erasure, the record of processing, and the
logic behind one decision (see docs/privacy.md).

Exit status: 0 done, 2 bad input or configuration (one line naming the problem).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from artguard.cli.service import DatabaseUrl, DataDir, SitePath, settings_from, site_from

EXIT_USAGE = 2

privacy_app = typer.Typer(
    name="privacy",
    help="Data-subject export and erasure, record of processing, decision logic.",
    no_args_is_help=True,
)

Credentials = Annotated[
    list[str] | None,
    typer.Option(
        "--credential",
        help="Also search for this credential id (repeatable; for people already removed "
        "from the site file).",
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


@contextmanager
def _context(data_dir: Path | None, database_url: str | None) -> Iterator[tuple[Any, Any]]:
    """(engine, template store or None); configuration problems exit 2 with one line."""
    from artguard.biometrics.keys import BiometricKeyError
    from artguard.privacy.template_retention import template_store_from
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    settings = settings_from(data_dir, database_url)
    engine = open_database(settings)
    try:
        try:
            store = template_store_from(settings.environ, settings.data_dir, AuditLog(engine))
        except BiometricKeyError as exc:
            raise _fail(str(exc)) from None
        yield engine, store
    finally:
        engine.dispose()


@privacy_app.command("export")
def export_command(
    person_id: Annotated[str, typer.Argument(help="The person's id in the site file")],
    site: SitePath,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here (.zip: JSON + README; else JSON) [stdout]"),
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who asks (recorded in the audit log) [cli:<user>]")
    ] = None,
    include_descriptors: Annotated[
        bool,
        typer.Option(
            "--include-descriptors",
            help="Also export the decrypted face descriptors (only on the subject's explicit "
            "request).",
        ),
    ] = False,
    credential: Credentials = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Everything stored about a person, as one JSON document (or a zip with a README)."""
    from artguard.privacy.export import ExportOptions, export_subject, write_json, write_zip
    from artguard.privacy.subjects import SubjectError

    loaded = site_from(site)
    options = ExportOptions(include_descriptors, tuple(credential or ()))
    with _context(data_dir, database_url) as (engine, store):
        try:
            document = export_subject(
                engine, loaded, person_id, actor or f"cli:{getpass.getuser()}", store, options
            )
        except SubjectError as exc:
            raise _fail(str(exc)) from None
    if out is None:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    if out.suffix.lower() == ".zip":
        write_zip(document, out)
    else:
        write_json(document, out)
    counts = ", ".join(f"{k} {v}" for k, v in document["counts"].items())
    typer.echo(f"exported {person_id} to {out}: {counts}")


@privacy_app.command("erase")
def erase_command(
    person_id: Annotated[str, typer.Argument(help="The person's id in the site file")],
    site: SitePath,
    reason: Annotated[str, typer.Option(help="Why, e.g. the request's reference (audited)")],
    actor: Annotated[str, typer.Option(help="Who carries out the erasure (audited)")],
    credential: Credentials = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Erase the face template, pseudonymise records naming the person; audited."""
    from artguard.privacy.erase import erase_subject
    from artguard.privacy.subjects import SubjectError

    loaded = site_from(site)
    if not yes and not typer.confirm(
        f"Erase {person_id}'s face template and pseudonymise their records? This cannot be undone."
    ):
        raise typer.Exit(1)
    with _context(data_dir, database_url) as (engine, store):
        try:
            report = erase_subject(
                engine, loaded, person_id, actor, reason, store, tuple(credential or ())
            )
        except SubjectError as exc:
            raise _fail(str(exc)) from None
    typer.echo(f"erased {person_id}:")
    typer.echo(f"  face template            {report.template_status}")
    typer.echo(f"  events pseudonymised     {report.events_pseudonymised}")
    typer.echo(f"  alerts pseudonymised     {report.alerts_pseudonymised}")
    typer.echo(f"  incidents pseudonymised  {report.incidents_pseudonymised}")
    typer.echo(f"  guard location deleted   {'yes' if report.guard_location_deleted else 'no'}")
    typer.echo(f"  audit entries kept       {report.audit_entries_kept} (hash-chained record)")
    for step in report.remaining:
        typer.echo(f"still to do: {step}")


@privacy_app.command("ropa")
def ropa_command(
    site: SitePath,
    format: Annotated[str, typer.Option("--format", "-f", help="md, html or json")] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here [stdout]")] = None,
) -> None:
    """The record of processing / DPIA summary generated from the site file."""
    from artguard.privacy.ropa import build_ropa, to_html, to_markdown

    renderers = {
        "md": to_markdown,
        "html": to_html,
        "json": lambda r: json.dumps(r, indent=2, ensure_ascii=False),
    }
    if format not in renderers:
        raise _fail(f"--format must be one of {', '.join(renderers)}, got {format!r}")
    text = renderers[format](build_ropa(site_from(site)))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


@privacy_app.command("logic")
def logic_command(
    decision_id: Annotated[str, typer.Argument(help="An alert id or access_decision event id")],
    site: SitePath,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The logic behind one automated decision (rule, inputs, thresholds, models), as JSON."""
    from artguard.privacy.logic import DecisionNotFound, explain_decision
    from artguard.store.db import open_database

    loaded = site_from(site)
    engine = open_database(settings_from(data_dir, database_url))
    try:
        logic = explain_decision(engine, loaded, decision_id)
    except DecisionNotFound as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps(logic, indent=2, ensure_ascii=False, default=str))


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app)
