"""Which procedure applies to which pattern: the built-in defaults, replaced per pattern by the
site's own ``procedures:``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from artguard.site import Site
from artguard.site.procedures import Procedure, Procedures, load_procedures, pattern_issues

DEFAULTS_FILE = "default_procedures.yaml"


@cache
def default_procedures() -> Procedures:
    """The built-in procedures shipped in ``artguard/triage/default_procedures.yaml``."""
    text = resources.files("artguard.triage").joinpath(DEFAULTS_FILE).read_text("utf-8")
    return load_procedures(text, f"artguard/triage/{DEFAULTS_FILE}")


def effective_procedures(site: Site | None) -> dict[str, Procedure]:
    """The procedure per pattern for ``site``: its own entries replace the defaults.

    A site built without the loader has only passed the schema, so its procedures are checked
    here too (a broken procedure must fail at start, not when an operator needs it).
    """
    own: Procedures = dict(site.procedures) if site is not None else {}
    issues = pattern_issues(own, ("procedures",))
    if issues:
        raise ValueError("; ".join(f"{'.'.join(map(str, i.loc))}: {i.message}" for i in issues))
    return {**default_procedures(), **own}
