"""Joining camera tracks into visitors: across track breaks and from one camera to the next.

A new track (a camera's tracker lost someone behind a pillar, or they walked into the next
camera's view) becomes the continuation of a recent visitor when three things agree:

* time: the visitor was last seen at most ``max_gap`` seconds before;
* place: the new track starts on the floor plan within walking reach of where the visitor was
  last seen (``max_speed`` x gap, plus ``slack`` for floor-mapping error);
* clothing colours: the appearance signatures are closer than ``max_appearance``
  (:func:`artguard.vision.appearance.distance`).

Of the visitors that pass, the best (lowest combined score) wins. The cheap tests (time, still in
view, floor reach) run first: most recent visitors are elsewhere in the building, and comparing
clothing colours costs more than all of them together. A visitor still in view on the
same camera is not a candidate (one person has one track per camera). Without floor positions
or appearance on either side, only a very close, quick continuation is accepted. Nothing here
identifies anyone: the visitor id is anonymous and forgotten when they leave.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from artguard.vision.appearance import distance as appearance_distance
from artguard.visitors.observe import Observation

MAX_GAP = 8.0
MAX_SPEED = 1.6
"""Metres per second: a brisk walk (visitors in galleries walk at about 1.2 m/s, measured on
the PETS plaza clip); a new track further from where a visitor was lost than this speed could
carry them is someone else."""
SLACK = 1.5
"""Metres of floor-mapping error allowed between two cameras' views of one person."""
MAX_APPEARANCE = 0.4
"""Appearance distance below which two signatures may be one person. On the PETS plaza clip
(bench/visitor_behaviour.py) 93% of same-track pairs 4 s or more apart are below it, and about
half of different people seen at the same time are above it: clothing colour at CCTV
resolution refutes many wrong joins, it cannot prove a right one; place and time do most."""
LINK_WINDOW = 3.0
"""Seconds a new track stays open to joining a recent visitor: its first frames may come
before its first appearance signature (the camera sends one every ~2 s)."""
STILL_IN_VIEW = 1.0
"""Seconds: a track seen this recently on a camera is still in view there."""
APPEARANCE_SMOOTHING = 0.3
FOLD_AFTER = 256
"""Signatures kept unfolded per visitor at most (see :meth:`Visitor.signature`)."""


@dataclass
class Visitor:
    """An anonymous visitor: the camera tracks joined into one."""

    id: str
    first_seen: datetime
    last_seen: datetime
    last_xy: tuple[float, float] | None
    last_camera: str
    first_xy: tuple[float, float] | None
    appearance: npt.NDArray[np.float64] | None
    """The smoothed clothing-colour signature up to the pending ones: read it through
    :meth:`signature`."""
    tracks: dict[str, datetime] = field(default_factory=dict)
    """Track key ('camera:track') -> when it was last seen (set through :meth:`see`)."""
    _camera_tracks: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """Camera id -> the visitor's track keys on it (so a look-up is not a scan of all)."""
    _pending: list[tuple[float, ...]] = field(default_factory=list, repr=False)
    """Signatures seen since the last fold, oldest first. Smoothing is folded in only when the
    signature is read (a new track compared with this visitor), and most visitors leave
    without being read again: the fold is the same arithmetic in the same order, or none."""

    def __post_init__(self) -> None:
        for key in self.tracks:
            self._camera_tracks.setdefault(key.rsplit(":", 1)[0], []).append(key)

    def see(self, track_key: str, at: datetime) -> None:
        if track_key not in self.tracks:
            self._camera_tracks.setdefault(track_key.rsplit(":", 1)[0], []).append(track_key)
        self.tracks[track_key] = at

    def add_signature(self, values: tuple[float, ...]) -> None:
        if self.appearance is None and not self._pending:
            self.appearance = _array(values)
            return
        self._pending.append(values)
        if len(self._pending) >= FOLD_AFTER:
            self.signature()

    def signature(self) -> npt.NDArray[np.float64] | None:
        """The smoothed signature: each new one weighted ``APPEARANCE_SMOOTHING``."""
        if self._pending:
            current = self.appearance
            assert current is not None  # the first signature is never pending
            a = APPEARANCE_SMOOTHING
            for values in self._pending:
                new = _array(values)
                assert new is not None
                if new.shape != current.shape:
                    raise ValueError(
                        f"appearance signature of {new.size} values, the visitor's {current.size}"
                    )
                # (1 - a) * old + a * new, elementwise in float64 (the same arithmetic as on
                # Python floats), in place: both arrays are the visitor's own.
                current *= 1 - a
                new *= a
                current += new
            self._pending.clear()
        return self.appearance

    @property
    def cameras(self) -> list[str]:
        return list(dict.fromkeys(key.rsplit(":", 1)[0] for key in self.tracks))

    def in_view_on(self, camera_id: str, at: datetime) -> bool:
        keys = self._camera_tracks.get(camera_id)
        if not keys:
            return False
        limit = timedelta(seconds=STILL_IN_VIEW)
        return any(at - self.tracks[key] <= limit for key in keys)


@dataclass(frozen=True)
class Link:
    """Why a new track was joined to a visitor (for tests, benches and flag evidence)."""

    track_key: str
    visitor_id: str
    from_track: str
    """The visitor's most recent track before this one."""
    gap_s: float
    floor_m: float | None
    appearance: float | None


class HandoffLinker:
    """Assigns each observation to a visitor, joining new tracks to recent visitors."""

    def __init__(
        self,
        *,
        max_gap: float = MAX_GAP,
        max_speed: float = MAX_SPEED,
        slack: float = SLACK,
        max_appearance: float = MAX_APPEARANCE,
    ) -> None:
        self.max_gap = timedelta(seconds=max_gap)
        self.max_speed = max_speed
        self.slack = slack
        self.max_appearance = max_appearance
        self.visitors: dict[str, Visitor] = {}
        self._by_track: dict[str, str] = {}
        self.links: list[Link] = []
        self.merged: list[tuple[str, str]] = []
        """(provisional visitor id, the visitor it turned out to be), for the caller to fold."""

    def assign(self, obs: Observation) -> Visitor:
        """The visitor this observation belongs to (a new one when no recent visitor fits)."""
        visitor_id = self._by_track.get(obs.track_key)
        visitor = self.visitors.get(visitor_id) if visitor_id else None
        if visitor is None:
            visitor = self._link(obs) or self._new(obs)
            self._by_track[obs.track_key] = visitor.id
        elif self._provisional(visitor, obs):
            # Judge where and when the track began, not where it has walked to since.
            start = replace(obs, at=visitor.first_seen, floor_xy=visitor.first_xy)
            found = self._link(start, exclude=visitor.id)
            if found is not None:
                self._merge(visitor, found)
                visitor = found
        self._update(visitor, obs)
        return visitor

    def _provisional(self, visitor: Visitor, obs: Observation) -> bool:
        """A young single-track visitor whose new signature may now connect it."""
        return (
            obs.appearance is not None
            and len(visitor.tracks) == 1
            and (obs.at - visitor.first_seen).total_seconds() <= LINK_WINDOW
        )

    def _merge(self, provisional: Visitor, into: Visitor) -> None:
        for key, seen in provisional.tracks.items():
            into.see(key, seen)
            self._by_track[key] = into.id
        del self.visitors[provisional.id]
        self.merged.append((provisional.id, into.id))

    def forget(self, visitor_id: str) -> None:
        """Drop a visitor who has left (their tracks can no longer be joined)."""
        visitor = self.visitors.pop(visitor_id, None)
        if visitor is not None:
            for key in visitor.tracks:
                self._by_track.pop(key, None)

    def _new(self, obs: Observation) -> Visitor:
        key = f"{obs.track_key}|{obs.at.isoformat()}"
        visitor = Visitor(
            id="vis-" + hashlib.sha256(key.encode()).hexdigest()[:16],
            first_seen=obs.at,
            last_seen=obs.at,
            last_xy=obs.floor_xy,
            last_camera=obs.camera_id,
            first_xy=obs.floor_xy,
            appearance=_array(obs.appearance),
        )
        self.visitors[visitor.id] = visitor
        return visitor

    def _link(self, obs: Observation, exclude: str | None = None) -> Visitor | None:
        best: tuple[float, Visitor, Link] | None = None
        at, xy = obs.at, obs.floor_xy
        earliest, latest = at - self.max_gap, at + timedelta(seconds=STILL_IN_VIEW)
        for visitor in self.visitors.values():
            # The first gates of _score, inline: most visitors fail them.
            seen = visitor.last_seen
            if visitor.id == exclude or seen < earliest or seen > latest:
                continue
            if xy is not None and visitor.last_xy is not None:
                reach = self.max_speed * max((at - seen).total_seconds(), 0.0) + self.slack
                dx, dy = xy[0] - visitor.last_xy[0], xy[1] - visitor.last_xy[1]
                if (dx * dx + dy * dy) ** 0.5 > reach:
                    continue
            scored = self._score(visitor, obs)
            if scored is not None and (best is None or scored[0] < best[0]):
                best = (scored[0], visitor, scored[1])
        if best is None:
            return None
        self.links.append(best[2])
        return best[1]

    def _score(self, visitor: Visitor, obs: Observation) -> tuple[float, Link] | None:
        gap = (obs.at - visitor.last_seen).total_seconds()
        if gap < -STILL_IN_VIEW or gap > self.max_gap.total_seconds():
            return None
        gap = max(gap, 0.0)
        reach = self.max_speed * gap + self.slack
        floor_m = None
        if obs.floor_xy is not None and visitor.last_xy is not None:
            dx = obs.floor_xy[0] - visitor.last_xy[0]
            dy = obs.floor_xy[1] - visitor.last_xy[1]
            floor_m = (dx * dx + dy * dy) ** 0.5
            if floor_m > reach:
                return None  # out of walking reach, whatever they wear
        if visitor.in_view_on(obs.camera_id, obs.at):
            return None
        look = None
        seen = visitor.signature() if obs.appearance is not None else None
        if obs.appearance is not None and seen is not None:
            look = appearance_distance(obs.appearance, seen)
        if floor_m is None or look is None:
            # Half the evidence: accept only a near-certain continuation on the same camera.
            quick = gap <= 2.0 and obs.camera_id == visitor.last_camera
            close = floor_m is not None and floor_m <= self.slack
            if not (quick and (close or (look is not None and look <= self.max_appearance / 2))):
                return None
        if look is not None and look > self.max_appearance:
            return None
        score = (floor_m / reach if floor_m is not None else 0.5) + (
            look / self.max_appearance if look is not None else 0.5
        )
        from_track = max(visitor.tracks, key=lambda key: visitor.tracks[key])
        return score, Link(obs.track_key, visitor.id, from_track, round(gap, 2), floor_m, look)

    @staticmethod
    def _update(visitor: Visitor, obs: Observation) -> None:
        visitor.see(obs.track_key, obs.at)
        if obs.at >= visitor.last_seen:
            visitor.last_seen = obs.at
            visitor.last_camera = obs.camera_id
            if obs.floor_xy is not None:
                visitor.last_xy = obs.floor_xy
        if obs.appearance is not None:
            visitor.add_signature(obs.appearance)


def _array(values: tuple[float, ...] | None) -> npt.NDArray[np.float64] | None:
    """A new array (never a view of the observation's values: it is updated in place)."""
    return None if values is None else np.array(values, dtype=np.float64)
