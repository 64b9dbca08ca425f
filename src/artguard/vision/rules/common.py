"""What the vision rules share: body keypoints, where a person stands, which room, severities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import cv2
import numpy as np

from artguard.events import Severity, TrackedObject
from artguard.site import Camera, Site
from artguard.site.geometry import Point, contains
from artguard.vision.geometry import Homography

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left eye",
    "right eye",
    "left ear",
    "right ear",
    "left shoulder",
    "right shoulder",
    "left elbow",
    "right elbow",
    "left wrist",
    "right wrist",
    "left hip",
    "right hip",
    "left knee",
    "right knee",
    "left ankle",
    "right ankle",
)
"""COCO-17 keypoint order, as pose models output it."""

WRISTS_AND_ELBOWS = (9, 10, 7, 8)
ANKLES = (15, 16)
MIN_KEYPOINT_SCORE = 0.3
"""Pose models give occluded or guessed keypoints low scores; below this they are ignored."""

TIER_NAMES = {1: "standard", 2: "notable", 3: "major", 4: "masterpiece"}


def is_person(obj: TrackedObject) -> bool:
    return obj.class_name == "person"


def visible_keypoints(obj: TrackedObject, indices: Sequence[int]) -> list[tuple[int, Point, float]]:
    """``(index, (x, y), score)`` of the listed keypoints the model is confident about."""
    if not obj.keypoints or len(obj.keypoints) < 17:
        return []
    found = []
    for i in indices:
        x, y, score = obj.keypoints[i]
        if score >= MIN_KEYPOINT_SCORE:
            found.append((i, (x, y), score))
    return found


def foot_point(obj: TrackedObject) -> Point:
    """Where the person stands in the image: between the visible ankles, else the box's
    bottom centre. Only this point is on the floor, so only it says which zone they are in."""
    ankles = visible_keypoints(obj, ANKLES)
    if ankles:
        return (
            sum(p[0] for _, p, _ in ankles) / len(ankles),
            sum(p[1] for _, p, _ in ankles) / len(ankles),
        )
    x1, _, x2, y2 = obj.bbox
    return ((x1 + x2) / 2, y2)


class PixelPolygon:
    """A polygon in image pixels with a signed distance test (inside > 0, outside < 0)."""

    def __init__(self, points: Sequence[Point]) -> None:
        self.points = [(float(x), float(y)) for x, y in points]
        self._contour = np.asarray(self.points, dtype=np.float32).reshape(-1, 1, 2)
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        self.box = (min(xs), min(ys), max(xs), max(ys))

    def depth(self, point: Point) -> float:
        """Pixels from ``point`` to the outline: positive inside, 0 on it, negative outside."""
        return float(cv2.pointPolygonTest(self._contour, (float(point[0]), float(point[1])), True))

    def contains(self, point: Point) -> bool:
        return self.depth(point) >= 0

    def overlaps_box(self, box: tuple[float, float, float, float]) -> bool:
        """Whether ``box`` meets the polygon's bounding box (cheap "somewhere near" test)."""
        x1, y1, x2, y2 = box
        px1, py1, px2, py2 = self.box
        return x1 <= px2 and px1 <= x2 and y1 <= py2 and py1 <= y2

    @property
    def centroid(self) -> Point:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (sum(xs) / len(xs), sum(ys) / len(ys))


class CameraRooms:
    """Which of a camera's rooms an image point is in.

    With a homography the point is placed on the floor plan and matched against the camera's
    rooms; without one (or off the plan) it is the camera's home room, its first.
    """

    def __init__(self, site: Site, camera: Camera) -> None:
        self._rooms = [site.room(r) for r in camera.rooms]
        self._homography = Homography.of_camera(camera)

    @property
    def home(self) -> str:
        return self._rooms[0].id

    @property
    def room_ids(self) -> list[str]:
        return [room.id for room in self._rooms]

    def at_floor(self, floor_xy: Point | None) -> str | None:
        if floor_xy is None:
            return None
        for room in self._rooms:
            if contains(room.polygon, floor_xy):
                return room.id
        return None

    def of_pixel(self, point: Point, floor_xy: Point | None = None) -> str:
        """The room of image point ``point``; ``floor_xy`` (metres) wins when given."""
        room = self.at_floor(floor_xy)
        if room is None and self._homography is not None:
            mapped = self._homography.apply([point])[0]
            if np.isfinite(mapped).all():
                room = self.at_floor((float(mapped[0]), float(mapped[1])))
        return room or self.home


def closed_to_public(site: Site, room_id: str, at: datetime, grace: timedelta) -> bool:
    """A public room outside its opening hours, ``grace`` after closing included as open.

    Non-public rooms are never "closed" here: staff work in them at any hour, so presence
    there is for restricted zones and access control to judge.
    """
    room = site.room(room_id)
    if not room.public or room.opening_hours is None:
        return False
    return not (site.is_open_to_public(room_id, at) or site.is_open_to_public(room_id, at - grace))


def local_clock(site: Site, at: datetime) -> str:
    """A time as the guards read it: site local time of day."""
    return f"{at.astimezone(site.tz):%H:%M:%S}"


def track_label(track_id: int | None) -> str:
    return f"track {track_id}" if track_id is not None else "an untracked person"


def higher(a: Severity, b: Severity) -> Severity:
    return a if a.rank >= b.rank else b
