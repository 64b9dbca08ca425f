"""Drawing an alert onto its frame: faces blurred first, then the site's shapes, the people, and
a caption band above the image (so the caption never hides part of the scene).

What is drawn:

* the barriers / zones / line the alert's rule is about (:func:`relevant_shapes`), outlined
  and lightly filled;
* every tracked person's box, the alert's own track (``evidence["track_id"]``) thick and red,
  the others thin and yellow, each with its track number;
* a caption: rule, severity, the site's local time, camera, then the alert's first reason.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from artguard.events import Alert
from artguard.site import Camera, Site
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.privacy import Redactor, blur_faces

Colour = tuple[int, int, int]
HIGHLIGHT: Colour = (0, 0, 255)  # BGR red: the person the alert is about
PERSON: Colour = (0, 215, 255)  # amber: everyone else
SHAPE_COLOURS: dict[str, Colour] = {
    "barrier": (255, 0, 255),
    "zone": (0, 140, 255),
    "line": (255, 255, 0),
}
BAND: Colour = (32, 32, 32)
TEXT: Colour = (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
FILL_ALPHA = 0.2


@dataclass(frozen=True)
class Shape:
    """A site shape to draw, in camera pixels."""

    kind: str  # barrier, zone or line
    label: str
    points: list[tuple[float, float]]

    @property
    def closed(self) -> bool:
        return self.kind != "line"


@dataclass(frozen=True)
class Rendered:
    image: Image
    faces_blurred: int
    heads_blurred: int
    people: int


def relevant_shapes(site: Site, camera: Camera, alert: Alert) -> list[Shape]:
    """The shapes of ``camera`` the alert's rule judged: the artwork's barrier, the zone or
    the line its evidence names; all barriers / zones / lines of the kind the rule uses when
    the evidence names none; nothing for rules that use no shape."""
    evidence = alert.evidence
    if alert.rule == "virtual_barrier":
        return [
            Shape("barrier", f"barrier: {art.title}", [tuple(p) for p in barrier.polygon])
            for art in site.artworks
            if alert.artwork_id in (None, art.id)
            for barrier in art.barriers
            if barrier.camera == camera.id
        ]
    if alert.rule in ("restricted_zone", "loitering"):
        kind = "restricted" if alert.rule == "restricted_zone" else "loiter"
        zone_id = evidence.get("zone_id")
        return [
            Shape("zone", f"zone: {zone.name}", [tuple(p) for p in zone.polygon])
            for zone in camera.zones
            if zone.id == zone_id or (zone_id is None and zone.kind == kind)
        ]
    if alert.rule in ("line_crossing", "line_crossing_staff"):
        line_id = evidence.get("line_id")
        return [
            Shape("line", f"line: {line.name}", [tuple(p) for p in line.points])
            for line in camera.lines
            if line_id in (None, line.id)
        ]
    return []


def blur_people(image: Image, tracks: Detections, redactor: Redactor) -> tuple[Image, int, int]:
    """A copy of ``image`` with faces and unidentified heads blurred; (image, faces, heads)."""
    areas = redactor.areas(image, tracks)
    if not len(areas):
        return image.copy(), 0, 0
    reasons = list(areas.data["reason"])
    blurred = blur_faces(image, areas, method=redactor.method)
    return blurred, reasons.count("face"), reasons.count("head")


def render(
    image: Image,
    tracks: Detections,
    alert: Alert,
    shapes: Sequence[Shape],
    caption: Sequence[str],
    *,
    redactor: Redactor | None,
    scale: float = 1.0,
    people: Detections | None = None,
) -> Rendered:
    """The evidence picture: blurred (unless ``redactor`` is None), overlays, caption band.

    ``scale``: the image is the camera frame scaled by this (clip frames), so the shapes
    (in camera pixels) are scaled to match; ``tracks`` must already be in image pixels.
    ``people``: everyone whose face is blurred (default: the tracks); only tracks are drawn.
    """
    if redactor is not None:
        out, faces, heads = blur_people(image, tracks if people is None else people, redactor)
    else:
        out, faces, heads = image.copy(), 0, 0
    thickness = max(1, round(out.shape[1] / 400))
    _draw_shapes(out, shapes, scale, thickness)
    _draw_people(out, tracks, alert.evidence.get("track_id"), thickness)
    return Rendered(_with_caption(out, caption), faces, heads, len(tracks))


def caption_lines(site: Site, camera: Camera, alert: Alert) -> list[str]:
    """Rule, severity, local time and camera; then the first reason."""
    local = alert.site_time.astimezone(site.tz)
    when = local.strftime("%Y-%m-%d %H:%M:%S %Z")
    return [
        f"{alert.rule} | {alert.severity.value.upper()} | {when} | {camera.id} ({camera.name})",
        alert.reasons[0],
    ]


def _draw_shapes(image: Image, shapes: Sequence[Shape], scale: float, thickness: int) -> None:
    if not shapes:
        return
    overlay = image.copy()
    for shape in shapes:
        points = np.round(np.asarray(shape.points, np.float64) * scale).astype(np.int32)
        colour = SHAPE_COLOURS.get(shape.kind, TEXT)
        if shape.closed:
            cv2.fillPoly(overlay, [points], colour)
    cv2.addWeighted(overlay, FILL_ALPHA, image, 1 - FILL_ALPHA, 0, dst=image)
    for shape in shapes:
        points = np.round(np.asarray(shape.points, np.float64) * scale).astype(np.int32)
        colour = SHAPE_COLOURS.get(shape.kind, TEXT)
        cv2.polylines(image, [points], shape.closed, colour, thickness + 1, cv2.LINE_AA)
        x, y = points[0]
        _label(image, shape.label, (int(x), int(y)), colour, thickness)


def _draw_people(image: Image, tracks: Detections, highlight: object, thickness: int) -> None:
    ids = tracks.tracker_id
    order = sorted(
        range(len(tracks)), key=lambda i: ids is not None and int(ids[i]) == highlight
    )  # the highlighted person last, on top
    for i in order:
        track = int(ids[i]) if ids is not None else None
        chosen = track is not None and track == highlight
        colour = HIGHLIGHT if chosen else PERSON
        x1, y1, x2, y2 = (round(float(v)) for v in tracks.xyxy[i])
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness * (3 if chosen else 1))
        if track is not None:
            _label(image, f"#{track}", (x1, y1), colour, thickness)


def _label(image: Image, text: str, at: tuple[int, int], colour: Colour, thickness: int) -> None:
    scale = 0.4 * thickness
    text = plain(text)
    (w, h), base = cv2.getTextSize(text, FONT, scale, 1)
    x = min(max(0, at[0]), max(0, image.shape[1] - w))
    y = max(h + base, at[1])
    cv2.rectangle(image, (x, y - h - base), (x + w, y), colour, -1)
    cv2.putText(image, text, (x, y - base), FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)


def _with_caption(image: Image, caption: Sequence[str]) -> Image:
    width = image.shape[1]
    scale = max(0.35, width / 1600)
    lines = [line for text in caption for line in wrap(plain(text), width - 16, scale)][:4]
    line_h = cv2.getTextSize("Ag", FONT, scale, 1)[0][1] + round(10 * scale)
    band = np.full((line_h * len(lines) + 12, width, 3), BAND, np.uint8)
    for n, line in enumerate(lines):
        y = 6 + line_h * (n + 1) - round(4 * scale)
        cv2.putText(band, line, (8, y), FONT, scale, TEXT, 1, cv2.LINE_AA)
    return np.concatenate([band, image], axis=0)


def wrap(text: str, width_px: int, scale: float) -> list[str]:
    """``text`` split into lines no wider than ``width_px`` at ``scale`` (words kept whole,
    a word wider than a line cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if cv2.getTextSize(candidate, FONT, scale, 1)[0][0] <= width_px or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00d7": "x",
    }
)


def plain(text: str) -> str:
    """OpenCV's fonts draw ASCII only: typographic punctuation made plain, accents dropped,
    other characters as '?'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(PUNCTUATION))
    return "".join(c if c.isascii() else "?" for c in decomposed if not unicodedata.combining(c))
