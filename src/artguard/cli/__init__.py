"""The ``artguard`` command line. Each module in this package registers its own commands."""

from __future__ import annotations

import typer

from artguard.cli import access as access_commands
from artguard.cli import audit as audit_commands
from artguard.cli import drill as drill_commands
from artguard.cli import face as face_commands
from artguard.cli import kpi as kpi_commands
from artguard.cli import privacy as privacy_commands
from artguard.cli import report as report_commands
from artguard.cli import sensors as sensors_commands
from artguard.cli import service as service_commands
from artguard.cli import site as site_commands
from artguard.cli import triage as triage_commands
from artguard.cli import users as users_commands
from artguard.cli import vision as vision_commands
from artguard.cli import visitors as visitors_commands

app = typer.Typer(
    name="artguard",
    help="Self-hosted AI security for art galleries and museums.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    site_commands,
    service_commands,
    vision_commands,
    audit_commands,
    access_commands,
    face_commands,
    visitors_commands,
    sensors_commands,
    kpi_commands,
    report_commands,
    users_commands,
    triage_commands,
    privacy_commands,
    drill_commands,
):
    module.register(app)


def main() -> None:
    app()
