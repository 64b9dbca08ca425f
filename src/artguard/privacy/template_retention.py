"""Face-template retention: which enrolled templates are due for erasure, and erasing them.

A template is erased (overwritten, deleted, ``biometric.erase`` in the audit log) when

* its own consent period has ended (``retain_until``, set at enrolment);
* it was enrolled longer ago than the site's ``retention.biometric_templates``;
* its person is no longer in the site file (they left);
* every credential of its person has expired (``valid_until`` in the past).

A person still in the site file without any credential keeps their template (they may be
being set up). Templates are only readable with the template key, which is configuration:
:func:`template_store_from` builds the store when a key is configured and None otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from artguard.site import Credential, Site
from artguard.store.retention import RETENTION_ACTOR

if TYPE_CHECKING:
    from artguard.biometrics.templates import Template, TemplateStore
    from artguard.store.audit import AuditLog

KEY_VARIABLES = ("ARTGUARD_BIOMETRIC_KEY", "ARTGUARD_BIOMETRIC_KEY_FILE")


def template_store_from(
    environ: Mapping[str, str], data_dir: Path, audit: AuditLog | None
) -> TemplateStore | None:
    """The site's template store, or None when no template key is configured.

    A key that is configured but malformed raises (``BiometricKeyError`` naming the variable):
    a typo must not silently turn erasure and retention off.
    """
    if not any(environ.get(name) for name in KEY_VARIABLES):
        return None
    from artguard.biometrics.keys import load_key
    from artguard.biometrics.templates import TemplateStore

    return TemplateStore.for_data_dir(data_dir, load_key(environ), audit)


def why_due(template: Template, site: Site, now: datetime, max_age: timedelta | None) -> str | None:
    """Why ``template`` must go now, or None if it may stay."""
    if template.retain_until <= now:
        return "consent period ended"
    if max_age is not None and template.enrolled_at + max_age <= now:
        return "retention.biometric_templates reached"
    try:
        person = site.person(template.person_id)
    except KeyError:
        return "person no longer in the site file"
    if person.credentials and all(_expired(c, now, site) for c in person.credentials):
        return "all credentials expired"
    return None


def _expired(credential: Credential, now: datetime, site: Site) -> bool:
    """Past its ``valid_until`` (a date includes that whole day, site time)."""
    until = credential.valid_until
    if until is None:
        return False
    if not isinstance(until, datetime):
        until = datetime.combine(until, time.max)
    if until.tzinfo is None:
        until = until.replace(tzinfo=site.tz)
    return until < now


class TemplateRetention:
    """The :class:`~artguard.store.retention.TemplatePurger` the purge calls."""

    def __init__(
        self, store: TemplateStore | Callable[[], TemplateStore | None], site: Site
    ) -> None:
        self._store = store
        self._site = site

    def purge_templates(self, now: datetime, max_age: timedelta | None) -> tuple[int, list[str]]:
        """Erase every template that is due; (how many, problems such as unreadable files)."""
        from artguard.biometrics.templates import TemplateError

        store = self._store() if callable(self._store) else self._store
        if store is None:
            return 0, []
        due: list[tuple[str, str]] = []
        problems: list[str] = []
        try:
            for template in store.templates():
                reason = why_due(template, self._site, now, max_age)
                if reason is not None:
                    due.append((template.person_id, reason))
        except TemplateError as exc:
            # One unreadable file (another key, tampered) must not stop the others' erasure
            # for ever; the templates read before it are still handled, the problem is audited.
            problems.append(f"biometric_templates: {exc}")
        for person_id, reason in due:
            store.erase(person_id, RETENTION_ACTOR, reason=f"retention: {reason}")
        return len(due), problems
