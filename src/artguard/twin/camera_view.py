"""How one camera of the twin sees the floor: floor metres to image pixels, and a person drawn
there (box, COCO-17 keypoints) the way the detector and pose model would report them.

**The view.** A camera with a ``homography`` in the site file (image pixels -> floor metres)
uses its inverse, so the twin's pixels map back onto the floor exactly as real detections do.
A camera without one gets a *derived* view: the bounding box of its rooms' polygons stretched
over its ``resolution`` (a 4 % margin each side), north at the top, like a ceiling camera
looking down. That is an assumption, not a calibration: barrier, zone and line polygons drawn
on a real camera's image do not line up with it, so the twin keeps the two consistent where
the rules need it:

* **counting lines**: a person is always drawn on the side of each of the camera's lines that
  their room is on (``in_room`` side for that room, the other side for every other room), so a
  line is crossed in pixels exactly when the person changes rooms through it (the crossing
  itself is drawn at the line: :meth:`CameraView.anchor`);
* **barriers and zones**: :meth:`CameraView.clear` tells where an ordinary person may stand
  without their feet or arms inside a barrier or their feet in a restricted or loitering zone;
  movers only stand and walk where every camera of the room is clear
  (:mod:`artguard.twin.walkway`).

Box height grows towards the bottom of the image (nearer the camera), from 12 % to 34 % of the
image height, width 0.38 x height; the keypoints are a standing pose, the right arm stretched
to a target when the person reaches into a barrier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from artguard.site import Camera, Site
from artguard.site.entities import CountLine
from artguard.site.geometry import Point, bounds
from artguard.vision.rules.common import PixelPolygon
from artguard.vision.rules.lines import BAND_PX

DERIVED_MARGIN = 0.04
SIDE_PX = BAND_PX + 6.0
"""People are drawn at least this far from a counting line, on their room's side."""
ANCHOR_PX = BAND_PX + 22.0
"""A crossing is drawn this far either side of the line: clearly past the rule's band."""
CLEAR_PX = 12.0
"""An ordinary person keeps their feet and arms this many pixels outside barriers and zones."""
KEYPOINT_SCORE = 0.9

# COCO-17 keypoints of a standing person, as fractions of their box (x from the left, y from
# the top). Ankles sit on the box's bottom edge, so the rules' foot point is the drawn point.
_STANDING: tuple[tuple[float, float], ...] = (
    (0.50, 0.07),  # nose
    (0.45, 0.05),  # left eye
    (0.55, 0.05),  # right eye
    (0.40, 0.07),  # left ear
    (0.60, 0.07),  # right ear
    (0.28, 0.20),  # left shoulder
    (0.72, 0.20),  # right shoulder
    (0.22, 0.36),  # left elbow
    (0.78, 0.36),  # right elbow
    (0.25, 0.50),  # left wrist
    (0.75, 0.50),  # right wrist
    (0.38, 0.52),  # left hip
    (0.62, 0.52),  # right hip
    (0.40, 0.76),  # left knee
    (0.60, 0.76),  # right knee
    (0.42, 1.00),  # left ankle
    (0.58, 1.00),  # right ankle
)
ARMS = (7, 8, 9, 10)
RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST = 6, 8, 10

Box = tuple[float, float, float, float]
Keypoints = list[tuple[float, float, float]]


@dataclass(frozen=True)
class _Line:
    line: CountLine
    ax: float
    ay: float
    nx: float
    """Unit normal pointing to the ``in_room`` side (the rule's positive offset)."""
    ny: float
    mx: float
    my: float
    ux: float
    """Unit vector along the line, first point to second."""
    uy: float
    length: float

    def offset(self, p: Point) -> float:
        return (p[0] - self.ax) * self.nx + (p[1] - self.ay) * self.ny

    def expected_side(self, room: str) -> int:
        return 1 if room == self.line.in_room else -1


class CameraView:
    """One camera's projection and drawing of people."""

    def __init__(self, site: Site, camera: Camera) -> None:
        if camera.homography is not None:
            matrix = np.linalg.inv(np.asarray(camera.homography, dtype=np.float64))
        else:
            matrix = _derived(site, camera)
        self._setup(site, camera, matrix)
        self.derived = camera.homography is None

    def _setup(self, site: Site, camera: Camera, matrix: np.ndarray) -> None:
        self.camera = camera
        self.width, self.height = camera.resolution
        self.derived = True
        self._m = [float(v) for v in matrix.reshape(-1)]
        self.lines = [_line(line) for line in camera.lines]
        self.barriers: list[tuple[str, PixelPolygon]] = [
            (art.id, PixelPolygon(b.polygon))
            for art in site.artworks
            for b in art.barriers
            if b.camera == camera.id
        ]
        self.zones = [
            PixelPolygon(z.polygon) for z in camera.zones if z.kind in ("restricted", "loiter")
        ]
        self._clear_along: dict[str, list[float]] = {}
        boxes = [polygon.box for _, polygon in self.barriers] or [(0.0, 0.0, 0.0, 0.0)]
        self._barrier_bounds = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    @property
    def floor_to_image(self) -> list[list[float]]:
        """The 3x3 floor -> image matrix in use (inverse homography, or the derived view)."""
        m = self._m
        return [m[0:3], m[3:6], m[6:9]]

    def project(self, xy: Point) -> Point | None:
        """Floor metres -> image pixels by the view alone; None behind the camera."""
        m = self._m
        x, y = xy
        w = m[6] * x + m[7] * y + m[8]
        if w <= 1e-12:
            return None
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)

    def foot(self, room: str, xy: Point) -> Point:
        """Where the person's feet are drawn: projected, inside the image, on their room's side
        of every counting line."""
        p = self.project(xy) or (self.width / 2, self.height - 1.0)
        p = self._inside(p)
        for line in self.lines:
            side = line.expected_side(room)
            off = line.offset(p)
            if off * side < SIDE_PX:
                shift = side * max(abs(off), SIDE_PX) - off
                p = self._inside((p[0] + shift * line.nx, p[1] + shift * line.ny))
        return p

    def anchor(self, line: _Line, side: int, along: float = 0.0) -> Point:
        """A foot point just past ``line`` on ``side`` (+1 in_room), ``along`` in [-0.3, 0.3]
        of its length from the middle: where a crossing is drawn."""
        d = side * ANCHOR_PX
        x = line.mx + along * line.length * line.ux + d * line.nx
        y = line.my + along * line.length * line.uy + d * line.ny
        return self._inside((x, y))

    def crossing_along(self, line: _Line, wish: float) -> float:
        """Where along ``line`` to draw a crossing: ``wish`` (in [-0.3, 0.3]) or the nearest
        place to it where the person is clear on both sides (a doorway next to a barrier)."""
        clear = self._clear_along.get(line.line.id)
        if clear is None:
            clear = self._clear_along[line.line.id] = [
                along
                for along in (k / 40 for k in range(-16, 17))
                if self.clear_at(self.anchor(line, 1, along))
                and self.clear_at(self.anchor(line, -1, along))
            ]
        if not clear:
            return wish
        return min(clear, key=lambda a: abs(a - wish))

    def box(self, foot: Point) -> Box:
        """The person's box standing at ``foot`` (clipped to the image)."""
        h = self.height * (0.12 + 0.22 * foot[1] / self.height)
        # Clipped at the image edge symmetrically, so the box's bottom centre (the rules'
        # foot point without keypoints) stays on the feet.
        half = min(0.19 * h, foot[0], self.width - 1 - foot[0])
        return (foot[0] - half, max(0.0, foot[1] - h), foot[0] + half, foot[1])

    def keypoints(self, foot: Point, reach: Point | None = None) -> tuple[Box, Keypoints]:
        """Box and standing-pose keypoints at ``foot``; with ``reach``, the right wrist on that
        pixel (elbow half-way) and the box grown to hold it."""
        h = self.height * (0.12 + 0.22 * foot[1] / self.height)
        w = 0.38 * h
        x0, y0 = foot[0] - w / 2, foot[1] - h
        points = [(x0 + fx * w, y0 + fy * h, KEYPOINT_SCORE) for fx, fy in _STANDING]
        if reach is not None:
            sx, sy, _ = points[RIGHT_SHOULDER]
            points[RIGHT_WRIST] = (reach[0], reach[1], KEYPOINT_SCORE)
            points[RIGHT_ELBOW] = ((sx + reach[0]) / 2, (sy + reach[1]) / 2, KEYPOINT_SCORE)
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        box = (
            max(0.0, min(xs)),
            max(0.0, min(ys)),
            min(float(self.width - 1), max(xs)),
            min(float(self.height - 1), max(ys)),
        )
        return box, points

    def near_barrier(self, box: Box) -> bool:
        """Whether the box meets a barrier's bounds: the pose model runs there (as the real
        pipeline's pose gate does), so keypoints are reported."""
        if not self.barriers:
            return False
        x1, y1, x2, y2 = box
        bx1, by1, bx2, by2 = self._barrier_bounds
        if x1 > bx2 or x2 < bx1 or y1 > by2 or y2 < by1:
            return False
        return any(polygon.overlaps_box(box) for _, polygon in self.barriers)

    def reach_target(self, artwork_id: str, foot: Point) -> Point | None:
        """A pixel inside ``artwork_id``'s barrier on this camera that a hand reaches for from
        a person standing at ``foot``: the first point towards the barrier's middle that is
        well inside it. None when this camera has no barrier for the artwork."""
        for art, polygon in self.barriers:
            if art != artwork_id:
                continue
            _, points = self.keypoints(foot)
            sx, sy, _ = points[RIGHT_SHOULDER]
            cx, cy = polygon.centroid
            for i in range(21):
                t = i / 20
                p = (sx + t * (cx - sx), sy + t * (cy - sy))
                if polygon.depth(p) >= 8.0:
                    return p
            return (cx, cy)
        return None

    def clear(self, room: str, xy: Point) -> bool:
        """Whether an ordinary person standing at ``xy`` in ``room`` is drawn with feet and
        arms outside every barrier and feet outside every restricted and loitering zone."""
        return self.clear_at(self.foot(room, xy))

    def clear_at(self, foot: Point) -> bool:
        """Whether a person standing with their feet on pixel ``foot`` is clear (see
        :meth:`clear`)."""
        if any(zone.depth(foot) > -CLEAR_PX for zone in self.zones):
            return False
        if not self.barriers:
            return True
        _, points = self.keypoints(foot)
        parts = [foot] + [(points[i][0], points[i][1]) for i in ARMS]
        return all(polygon.depth(p) < -CLEAR_PX for _, polygon in self.barriers for p in parts)

    def line_between(self, a: str, b: str) -> list[_Line]:
        """This camera's lines separating rooms ``a`` and ``b`` (either way round)."""
        return [ln for ln in self.lines if {ln.line.in_room, ln.line.out_room} == {a, b}]

    def _inside(self, p: Point) -> Point:
        return (
            min(max(p[0], 1.0), self.width - 2.0),
            min(max(p[1], 1.0), self.height - 1.0),
        )


ORIENTATIONS: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
    ((1, 0, 0), (0, -1, 1)),  # north up (the default)
    ((-1, 0, 1), (0, -1, 1)),
    ((1, 0, 0), (0, 1, 0)),
    ((-1, 0, 1), (0, 1, 0)),
    ((0, 1, 0), (1, 0, 0)),
    ((0, -1, 1), (1, 0, 0)),
    ((0, 1, 0), (-1, 0, 1)),
    ((0, -1, 1), (-1, 0, 1)),
)
"""The eight ways a rectangle fits a rectangle (turned, mirrored): image (u, v) in [0, 1] as
``a*x + b*y + c`` of the floor box's normalised (x, y)."""


def _derived(site: Site, camera: Camera) -> np.ndarray:
    """Floor -> image for a camera without a homography: its rooms' bounding box stretched
    over the image, turned whichever of the eight ways leaves the most floor where a person is
    drawn clear of the camera's barriers and zones (see the module docstring)."""
    boxes = [bounds(site.room(r).polygon) for r in camera.rooms]
    min_x = min(b[0] for b in boxes)
    min_y = min(b[1] for b in boxes)
    max_x = max(b[2] for b in boxes)
    max_y = max(b[3] for b in boxes)
    width, height = camera.resolution
    mx, my = width * DERIVED_MARGIN, height * DERIVED_MARGIN
    w, h = width - 2 * mx, height - 2 * my
    dx, dy = max(max_x - min_x, 1e-6), max(max_y - min_y, 1e-6)
    # normalise: X = (x - min_x)/dx, Y = (y - min_y)/dy as a matrix N
    norm = np.array([[1 / dx, 0.0, -min_x / dx], [0.0, 1 / dy, -min_y / dy], [0.0, 0.0, 1.0]])
    best: tuple[float, np.ndarray] | None = None
    for (a, b, c), (d, e, f) in ORIENTATIONS:
        to_image = np.array([[w * a, w * b, w * c + mx], [h * d, h * e, h * f + my], [0, 0, 1]])
        matrix = to_image @ norm
        score = _clear_share(site, camera, matrix)
        if best is None or score > best[0] + 1e-9:
            best = (score, matrix)
        if score >= 1.0:
            break
    assert best is not None
    return best[1]


def _clear_share(site: Site, camera: Camera, matrix: np.ndarray) -> float:
    """Share of the camera's floor (sampled every metre) where a person would be drawn clear
    of its barriers and zones under the floor -> image ``matrix``."""
    if not any(b.camera == camera.id for art in site.artworks for b in art.barriers) and not (
        camera.zones
    ):
        return 1.0
    probe = CameraView.__new__(CameraView)
    CameraView._setup(probe, site, camera, matrix)
    total = clear = 0
    for room_id in camera.rooms:
        polygon = site.room(room_id).polygon
        x0, y0, x1, y1 = bounds(polygon)
        x = x0 + 0.5
        while x < x1:
            y = y0 + 0.5
            while y < y1:
                total += 1
                clear += probe.clear(room_id, (x, y))
                y += 1.0
            x += 1.0
    return clear / total if total else 1.0


def _line(line: CountLine) -> _Line:
    (ax, ay), (bx, by) = line.points
    dx, dy = bx - ax, by - ay
    length = (dx * dx + dy * dy) ** 0.5
    return _Line(
        line=line,
        ax=ax,
        ay=ay,
        nx=-dy / length,
        ny=dx / length,
        mx=(ax + bx) / 2,
        my=(ay + by) / 2,
        ux=dx / length,
        uy=dy / length,
        length=length,
    )
