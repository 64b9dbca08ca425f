"""Playbooks, notification channels and door command routes: ``playbooks:``, ``notifications:``
and ``door_control:`` in the site file.

A **playbook** says what artguard does on its own when an incident matches: ``when`` an
incident of one of ``patterns`` reaches ``min_score`` (optionally only in some ``rooms``),
``do`` each action in order: lock doors, raise the threat level, notify people, record video.
**Channels** are the named ways to reach people (a webhook, an MQTT topic, e-mail over SMTP);
each audience (``guard``, ``supervisor``, ...) has default channels. **Door routes** say how a
door's lock is commanded (MQTT or HTTP) and how long to wait for its confirmation.

The models check each entry on its own; :func:`check_playbooks` checks the references (doors,
cameras, rooms, channels, patterns) against the rest of the site. Secrets are never written in
the file: e-mail passwords and webhook header values come from environment variables named
here (``password_env``, ``headers_env``).
"""

from __future__ import annotations

import difflib
import string
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, StringConstraints, field_validator, model_validator

from artguard.site.base import Id, SiteModel, unique_values
from artguard.site.durations import Duration
from artguard.site.procedures import PATTERN_NAMES

if TYPE_CHECKING:
    from artguard.site.checker import Checker
    from artguard.site.problems import Loc

ANY_PATTERN = "any"
"""Matches every incident, named pattern or not."""
INCIDENT_ROOM = "incident_room"
"""The incident's own room (where its first alert happened)."""
INCIDENT_ROOMS = "incident_rooms"
"""Every room the incident's alerts name (a thief's path through several rooms)."""
MESSAGE_FIELDS = ("title", "score", "pattern", "room", "incident_id", "severity", "playbook")
"""Placeholders a notify ``message`` may use, e.g. ``"{title} (score {score})"``."""
DEFAULT_MESSAGE = "{title}: score {score}, pattern {pattern}, room {room} (incident {incident_id})"

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
"""The name of an environment variable holding a secret."""
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _http_url(value: str, what: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError(f"{what} {value!r}: expected an http:// or https:// URL with a host")
    return value


# -- notification channels --------------------------------------------------------------------


class WebhookChannel(SiteModel):
    """An HTTP POST of the notification as JSON (chat bridges, pager gateways, SIEMs)."""

    type: Literal["webhook"] = Field(description="webhook")
    url: str = Field(description="http:// or https:// URL the JSON is POSTed to.")
    headers: dict[str, Text200] = Field(
        default_factory=dict, description="Extra request headers (no secrets: see headers_env)."
    )
    headers_env: dict[str, EnvName] = Field(
        default_factory=dict,
        description="Header name -> environment variable holding its value (e.g. a token).",
    )
    timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for the reply.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value, "webhook url")


class MqttChannel(SiteModel):
    """A JSON message published with QoS 1 (home-automation pagers, PA systems, bridges)."""

    type: Literal["mqtt"] = Field(description="mqtt")
    topic: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="Topic to publish to; no wildcards."
    )
    broker: str | None = Field(
        default=None,
        description="mqtt://host[:port]; default: the bus broker (ARTGUARD_BUS_URL) or the "
        "device broker (ARTGUARD_MQTT_INGEST_URL).",
    )

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, value: str) -> str:
        if "+" in value or "#" in value:
            raise ValueError(f"topic {value!r}: wildcards (+, #) cannot be published to")
        return value

    @field_validator("broker")
    @classmethod
    def _broker(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme != "mqtt" or not parsed.hostname:
                raise ValueError(f"broker {value!r}: expected mqtt://host[:port]")
        return value


class EmailChannel(SiteModel):
    """An e-mail over SMTP, with STARTTLS unless turned off."""

    type: Literal["email"] = Field(description="email")
    host: Annotated[str, StringConstraints(min_length=1, max_length=253)] = Field(
        description="SMTP server host name."
    )
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 submission).")
    sender: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(
        description="From address."
    )
    to: list[Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        min_length=1, description="Recipient addresses."
    )
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(default=None, max_length=256, description="SMTP login, if any.")
    password_env: EnvName | None = Field(
        default=None,
        description="Environment variable holding the SMTP password (never the password).",
    )
    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per SMTP exchange.")

    @model_validator(mode="after")
    def _login(self) -> EmailChannel:
        if self.password_env and not self.username:
            raise ValueError("password_env needs a username to log in with")
        return self


Channel = Annotated[WebhookChannel | MqttChannel | EmailChannel, Field(discriminator="type")]


class Notifications(SiteModel):
    """Named channels, and the channels each audience is reached on by default."""

    channels: dict[Id, Channel] = Field(
        default_factory=dict, description="Channel name -> webhook, mqtt or email channel."
    )
    audiences: dict[Annotated[str, StringConstraints(min_length=1, max_length=128)], list[Id]] = (
        Field(
            default_factory=dict,
            description="Audience (guard, supervisor, dashboard, role:<id>, person:<id>) -> "
            "channel names used when a notification names no channels; `default` for the rest.",
        )
    )

    @field_validator("audiences")
    @classmethod
    def _unique(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for audience, names in value.items():
            unique_values(names, f"channel of audience {audience!r}")
        return value

    def channels_for(self, audience: str, explicit: list[str]) -> list[str]:
        """The channel names a notification goes out on: its own, else its audience's
        (``channel:<name>`` names one), else the ``default`` audience's."""
        if explicit:
            return list(explicit)
        if audience.startswith("channel:"):
            return [audience.removeprefix("channel:")]
        if audience in self.audiences:
            return list(self.audiences[audience])
        return list(self.audiences.get("default", []))


# -- door command routes ----------------------------------------------------------------------


class DoorRoute(SiteModel):
    """How one door's lock (or all doors', as the default) is commanded."""

    transport: Literal["mqtt", "http", "none"] = Field(
        description="mqtt: artguard/<site>/action/<door> with an ack topic; http: POST to url; "
        "none: the door cannot be commanded (commands are recorded as no_route)."
    )
    url: str | None = Field(
        default=None, description="For http: the URL; `{door}` is replaced by the door id."
    )
    timeout: Duration | None = Field(
        default=None, description="Wait this long for confirmation; default door_control.timeout."
    )

    @model_validator(mode="after")
    def _url_for_http(self) -> DoorRoute:
        if self.transport == "http":
            if self.url is None:
                raise ValueError("an http route needs a url")
            _http_url(self.url, "door route url")
        elif self.url is not None:
            raise ValueError(f"url is only used by the http transport, not {self.transport}")
        return self


class DoorControl(SiteModel):
    """Door command routes: a default and per-door exceptions."""

    default: DoorRoute | None = Field(
        default=None, description="Route of doors not listed under `doors`; none: no route."
    )
    doors: dict[Id, DoorRoute] = Field(default_factory=dict, description="Door id -> route.")
    timeout: Duration = Field(
        default=timedelta(seconds=5), description="How long to wait for a lock to confirm."
    )

    def route(self, door_id: str) -> DoorRoute | None:
        """The door's route, or None when it has none."""
        route = self.doors.get(door_id, self.default)
        return None if route is None or route.transport == "none" else route

    def timeout_for(self, door_id: str) -> timedelta:
        route = self.doors.get(door_id, self.default)
        return route.timeout if route is not None and route.timeout else self.timeout


# -- playbooks --------------------------------------------------------------------------------


class When(SiteModel):
    """Which incidents a playbook runs for."""

    patterns: list[Id] = Field(
        min_length=1, description=f"Named patterns (or `{ANY_PATTERN}`) that trigger it."
    )
    min_score: float = Field(default=0.0, ge=0.0, le=1.0, description="Lowest risk score 0..1.")
    rooms: list[Id] | None = Field(
        default=None, description="Only incidents in these rooms (any of the incident's rooms)."
    )

    @field_validator("patterns")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return unique_values(value, "pattern")


Targets = Literal["incident_room", "incident_rooms"] | list[Id]


class NotifyAction(SiteModel):
    """Publish a notification (delivered by the notifier on the channel or the audience's)."""

    channel: Id | None = Field(default=None, description="Channel name; default: the audience's.")
    audience: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        default="supervisor", description="Who it is for (guard, supervisor, role:<id>, ...)."
    )
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = Field(
        default=None,
        description="Text; placeholders: " + ", ".join(f"{{{f}}}" for f in MESSAGE_FIELDS),
    )

    @field_validator("message")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as exc:
            raise ValueError(f"message {value!r}: {exc} (write {{{{ for a literal brace)") from exc
        unknown = [name for name in names if name not in MESSAGE_FIELDS]
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}} in message (expected one of: "
                f"{', '.join(MESSAGE_FIELDS)})"
            )
        return value


class RecordAction(SiteModel):
    """Keep video of the incident's cameras for a while."""

    cameras: Targets = Field(
        description="incident_room, incident_rooms (the cameras covering them) or camera ids."
    )
    seconds: int = Field(default=60, ge=1, le=600, description="How long to record.")


ACTION_KEYS = ("lock_doors", "threat_level", "notify", "record")


class Action(SiteModel):
    """One step of a playbook: exactly one of lock_doors, threat_level, notify, record."""

    lock_doors: Targets | None = Field(
        default=None, description="incident_room, incident_rooms (their doors) or door ids."
    )
    threat_level: Literal["elevated", "lockdown"] | None = Field(
        default=None, description="Raise the site's threat level (access control) to this."
    )
    notify: NotifyAction | None = Field(default=None, description="Tell people.")
    record: RecordAction | None = Field(default=None, description="Record the cameras.")

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: object) -> object:
        if isinstance(data, dict):
            given = [k for k in ACTION_KEYS if data.get(k) is not None]  # None: a dump
            if len(given) != 1:
                what = f"got {', '.join(given)}" if given else "got none"
                raise ValueError(
                    f"an action has exactly one of {', '.join(ACTION_KEYS)} ({what}); "
                    "write one list item per action"
                )
        return data

    @property
    def name(self) -> str:
        """Which action this is (``lock_doors``, ...)."""
        return next(key for key in ACTION_KEYS if getattr(self, key) is not None)


class Playbook(SiteModel):
    """When an incident matches, run these actions once for it."""

    id: Id = Field(description="Playbook id; actions run as actor playbook:<id>.")
    when: When = Field(description="patterns, min_score, rooms.")
    do: list[Action] = Field(min_length=1, description="Actions, run in order.")

    def triggers(self, pattern: str | None, score: float | None) -> bool:
        """Whether the pattern and score match (rooms not considered)."""
        patterns = self.when.patterns
        if ANY_PATTERN not in patterns and pattern not in patterns:
            return False
        return (score or 0.0) >= self.when.min_score

    def matches(self, pattern: str | None, score: float | None, rooms: set[str]) -> bool:
        """Whether an incident with this pattern, score and rooms triggers the playbook."""
        if not self.triggers(pattern, score):
            return False
        return self.when.rooms is None or bool(rooms & set(self.when.rooms))


# -- cross-reference checks -------------------------------------------------------------------


def check_playbooks(c: Checker) -> None:
    """Playbook ids are unique; doors, cameras, rooms, channels and patterns exist; door
    routes name known doors (run by ``artguard check``)."""
    site = c.site
    notifications: Notifications = getattr(site, "notifications", None) or Notifications()
    channels = set(notifications.channels)
    for audience, names in notifications.audiences.items():
        for j, name in enumerate(names):
            _channel(c, ("notifications", "audiences", audience, j), name, channels)
    control: DoorControl | None = getattr(site, "door_control", None)
    if control is not None:
        for door_id in control.doors:
            c.ref(("door_control", "doors", door_id), "doors", door_id)
    first: dict[str, int] = {}
    for i, playbook in enumerate(getattr(site, "playbooks", None) or []):
        loc: Loc = ("playbooks", i)
        if playbook.id in first:
            c.add(
                (*loc, "id"),
                f"duplicate playbook id {playbook.id!r}; each playbook needs its own id",
                also=("playbooks", first[playbook.id], "id"),
            )
        first.setdefault(playbook.id, i)
        for j, pattern in enumerate(playbook.when.patterns):
            _pattern(c, (*loc, "when", "patterns", j), pattern)
        for j, room in enumerate(playbook.when.rooms or []):
            c.ref((*loc, "when", "rooms", j), "rooms", room)
        for j, action in enumerate(playbook.do):
            _check_action(c, (*loc, "do", j), action, channels)


def _check_action(c: Checker, loc: Loc, action: Action, channels: set[str]) -> None:
    if isinstance(action.lock_doors, list):
        for k, door_id in enumerate(action.lock_doors):
            c.ref((*loc, "lock_doors", k), "doors", door_id)
    if action.record is not None and isinstance(action.record.cameras, list):
        for k, camera_id in enumerate(action.record.cameras):
            c.ref((*loc, "record", "cameras", k), "cameras", camera_id)
    if action.notify is not None and action.notify.channel is not None:
        _channel(c, (*loc, "notify", "channel"), action.notify.channel, channels)


def _channel(c: Checker, loc: Loc, name: str, channels: set[str]) -> None:
    if name in channels:
        return
    if not channels:
        c.add(loc, f"unknown channel {name!r} (no channels are declared under notifications:)")
        return
    close = difflib.get_close_matches(name, sorted(channels), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    c.add(loc, f"unknown channel {name!r} (expected one of: {', '.join(sorted(channels))}){hint}")


def _pattern(c: Checker, loc: Loc, pattern: str) -> None:
    known = (*PATTERN_NAMES, ANY_PATTERN)
    if pattern in known:
        return
    close = difflib.get_close_matches(pattern, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    c.add(loc, f"unknown pattern {pattern!r} (expected one of: {', '.join(known)}){hint}")
