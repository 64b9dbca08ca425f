"""``artguard check`` and ``artguard init``: validate a site file, or start a new one."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from artguard.site import SiteError, init_site, load_site
from artguard.site.base import is_valid_id

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def check(
    site_file: Path = typer.Argument(..., metavar="SITE.yaml", help="The site file to check."),
) -> None:
    """Check a site file and print every problem in it (exit 1 if there are any)."""
    if not site_file.is_file():
        what = "is a directory, not a site file" if site_file.is_dir() else "does not exist"
        typer.echo(f"{site_file}: {what}", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        site = load_site(site_file)
    except SiteError as error:
        for problem in error.problems:
            typer.echo(str(problem))
        count = len(error.problems)
        typer.echo(f"{count} {'problem' if count == 1 else 'problems'} in {site_file}", err=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    typer.echo(
        f"{site_file}: OK, site {site.id!r}: {len(site.rooms)} rooms, {len(site.artworks)} "
        f"artworks, {len(site.cameras)} cameras, {len(site.doors)} doors, "
        f"{len(site.sensors)} sensors, {len(site.people)} people"
    )


def init(
    directory: Path = typer.Argument(..., metavar="DIR", help="Where to write site.yaml."),
    site_id: str | None = typer.Option(
        None, "--site-id", help="Id of the new site (default: from the directory name)."
    ),
) -> None:
    """Write a small but complete starter site to DIR/site.yaml."""
    chosen = site_id or _id_from_name(directory.resolve().name)
    if not is_valid_id(chosen):
        typer.echo(
            f"invalid --site-id {chosen!r}: use letters, digits and - _ . : @ "
            "(no spaces or slashes)",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        path = init_site(directory, chosen)
    except FileExistsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    typer.echo(f"wrote {path} (site {chosen!r})")
    typer.echo(f"next: edit it to describe your building, then run: artguard check {path}")


def _id_from_name(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return slug[:64] or "my-museum"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("check")(check)
    app.command("init")(init)
