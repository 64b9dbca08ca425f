"""A tiny SVG writer: escaped text and attributes, a canvas that collects elements.

Chart labels come from the store (pattern names, room names) and the SVG is served as
``image/svg+xml``, which a browser runs scripts in when opened directly: every piece of text
and every attribute value goes through :func:`esc`.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
"""Font stack of every text element. The PDF writer registers a TTF under the first name when
it finds one (see :mod:`artguard.reports.pdf`); browsers use whichever they have."""

INK = "#1a202c"
MUTED = "#4a5568"
GRID = "#cbd5e0"

_ATTR_ENTITIES = {'"': "&quot;", "'": "&apos;"}


def esc(value: object) -> str:
    """``value`` as text safe in XML content and in double-quoted attributes."""
    return escape(str(value), _ATTR_ENTITIES)


def num(value: float) -> str:
    """A coordinate with at most one decimal (``12`` rather than ``12.0``)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def attrs(**values: object) -> str:
    """`` name="value"`` pairs; ``None`` values are left out, ``_`` in names becomes ``-``."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = num(value)
        parts.append(f' {name.rstrip("_").replace("_", "-")}="{esc(value)}"')
    return "".join(parts)


class Canvas:
    """Collects SVG elements; :meth:`render` wraps them with an accessible ``<svg>`` root."""

    def __init__(self, width: int, title: str, desc: str) -> None:
        self.width = width
        self.title = title
        self.desc = desc
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 12,
        anchor: str = "start",
        fill: str = INK,
        **extra: object,
    ) -> str:
        element = (
            f"<text{attrs(x=float(x), y=float(y), font_family=FONT, font_size=float(size))}"
            f"{attrs(text_anchor=anchor if anchor != 'start' else None, fill=fill, **extra)}>"
            f"{esc(content)}</text>"
        )
        self.parts.append(element)
        return element

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **extra: object) -> None:
        self.parts.append(
            f"<rect{attrs(x=float(x), y=float(y), width=float(max(w, 0.0)), height=float(h))}"
            f"{attrs(fill=fill, **extra)}/>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, **extra: object) -> None:
        values = {"stroke": GRID, "stroke_width": 1, **extra}
        self.parts.append(
            f"<line{attrs(x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2))}"
            f"{attrs(**values)}/>"
        )

    def group(self, **extra: object) -> None:
        """Open a ``<g>``; close it with :meth:`end`."""
        self.parts.append(f"<g{attrs(**extra)}>")

    def end(self) -> None:
        self.parts.append("</g>")

    def render(self, height: float, chart_id: str) -> str:
        """The whole SVG document. ``chart_id`` makes the title/desc ids unique on a page."""
        size = attrs(width=self.width, height=float(height))
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg"{size}'
            f"{attrs(viewBox=f'0 0 {self.width} {num(height)}')}"
            f' role="img"{attrs(aria_labelledby=f"{chart_id}-title {chart_id}-desc")}>'
            f'<title id="{esc(chart_id)}-title">{esc(self.title)}</title>'
            f'<desc id="{esc(chart_id)}-desc">{esc(self.desc)}</desc>'
            f'<rect x="0" y="0"{size} fill="#ffffff"/>' + "".join(self.parts) + "</svg>"
        )
