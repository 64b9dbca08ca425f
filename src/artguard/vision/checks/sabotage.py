"""Camera sabotage seen in the picture: frozen, covered, blinded, defocused or moved.

Runs in the camera worker on every analysed frame and reports a
:class:`~artguard.events.CameraHealth` event only when the camera's state changes, so the bus
carries a handful of events a day per camera. A bad state must hold for ``hold_seconds``
(a visitor's coat brushing the lens, a camera flash, one corrupt frame do not alert), and a
camera is back ``online`` only after ``recover_seconds`` of good pictures. *Offline* (no
frames at all) is the worker's to report: a check on frames never sees it.

What each state means and how it is measured:

* **covered**: the picture is dark or flat (a hand, tape, cloth or paint on the lens);
* **blinded**: most of the picture is white (a torch or laser shone into the lens);
* **frozen**: frames stopped changing for ``frozen_seconds``: a stuck encoder, or a still
  image injected into the stream. Live video always changes a little (sensor noise), so
  "unchanged" means almost no pixel differs by more than a couple of grey levels;
* **defocused**: sharpness (variance of the Laplacian) fell below a fraction of the
  reference view's, e.g. the focus ring turned or the lens smeared;
* **moved**: the static scene no longer lines up with the reference view
  (:mod:`artguard.vision.checks.scene`): shifted, rotated, or pointed elsewhere.

The reference view is a picture of the scene without people in it: given, loaded from the data
dir, or taken from the first good frame in which the detector found nobody (so no visitor's
face is ever stored in it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from artguard.events import CameraHealth, EventBase
from artguard.site import Camera
from artguard.vision.checks.base import FrameLike, boxes_of, frame_event_id
from artguard.vision.checks.picture import PictureLimits, PictureStats, sharpness
from artguard.vision.checks.scene import SceneMatch, SceneReference
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.privacy import redact

log = logging.getLogger(__name__)

FROZEN_WIDTH = 640
"""Frames are compared on every n-th pixel of one colour channel, about this many wide:
subsampled, not averaged, so the sensor noise that tells live video from a still survives."""
CHANGED_LEVELS = 2
"""A pixel "changed" if it differs by more than this many levels."""


@dataclass(frozen=True)
class SabotageThresholds:
    """Limits of each check; the defaults suit a fixed gallery camera at 1-25 fps."""

    picture: PictureLimits = field(default_factory=PictureLimits)
    frozen_seconds: float = 10.0
    frozen_changed_fraction: float = 0.0005
    """Frames with fewer changed pixels than this fraction count as identical."""
    defocus_ratio: float = 0.3
    """Defocused when sharpness falls below this fraction of the reference's."""
    moved_shift_fraction: float = 0.03
    """Moved when the scene shifts by more than this fraction of the image width..."""
    moved_rotation_deg: float = 2.0
    """... or turns by more than this many degrees..."""
    min_scene_inliers: int = 15
    """... or fewer reference features than this still match (pointed elsewhere)."""
    hold_seconds: float = 3.0
    recover_seconds: float = 3.0
    scene_interval_seconds: float = 2.0
    """Sharpness and scene matching (a few ms) run at most this often."""
    frame_interval_seconds: float = 0.0
    """The picture checks look at a frame at most this often (0: every frame). Live cameras use
    0.4 s (:data:`LIVE_THRESHOLDS`): every state must hold for seconds anyway, and at 20
    cameras the per-frame cost adds up."""


LIVE_THRESHOLDS = SabotageThresholds(frame_interval_seconds=0.4)
"""What live camera workers use: a picture check 2.5 times a second."""


class CameraSabotageCheck:
    """Watches one camera's frames; returns a CameraHealth event when its state changes."""

    def __init__(
        self,
        camera: Camera,
        reference: Image | None = None,
        *,
        thresholds: SabotageThresholds | None = None,
        reference_path: Path | None = None,
    ) -> None:
        self.camera = camera
        self.limits = thresholds or SabotageThresholds()
        self._reference_path = reference_path
        if reference is None and reference_path is not None and reference_path.is_file():
            reference = cv2.imread(str(reference_path), cv2.IMREAD_COLOR)
        self._scene: SceneReference | None = None
        self._sharpness = 0.0
        if reference is not None:
            self._set_reference(reference)
        self._previous: np.ndarray | None = None
        self._unchanged_since: datetime | None = None
        self._last_scene_at: datetime | None = None
        self._last_checked: datetime | None = None
        self._last_scene: tuple[str, str] = ("online", "")
        self._candidate: tuple[str, datetime] | None = None
        self.status: str | None = None
        """The last reported state; None until the first is confirmed."""

    @classmethod
    def for_camera(
        cls, camera: Camera, data_dir: Path, thresholds: SabotageThresholds | None = None
    ) -> CameraSabotageCheck:
        """A check whose reference view lives in ``<data dir>/references/cameras/<id>.png``."""
        path = data_dir / "references" / "cameras" / f"{camera.id}.png"
        return cls(camera, thresholds=thresholds, reference_path=path)

    @property
    def has_reference(self) -> bool:
        return self._scene is not None

    def set_reference(self, image: Image) -> None:
        """Use ``image`` (a view of the scene without people) as the reference from now on.

        The copy kept on disk goes through face redaction first: the view is taken when no
        person was detected, but a missed one must not end up stored with a recognisable face.
        """
        self._set_reference(image)
        if self._reference_path is not None:
            self._reference_path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(self._reference_path), redact(image))

    def _set_reference(self, image: Image) -> None:
        self._scene = SceneReference(image)
        self._sharpness = sharpness(image)

    def check(self, frame: FrameLike, detections: Detections) -> list[EventBase]:
        interval = timedelta(seconds=self.limits.frame_interval_seconds)
        if self._last_checked is not None and (
            timedelta(0) <= frame.timestamp - self._last_checked < interval
        ):
            return []
        self._last_checked = frame.timestamp
        status, detail = self._judge(frame, detections)
        return self._confirm(frame, status, detail)

    # -- judging one frame -------------------------------------------------------------------

    def _judge(self, frame: FrameLike, detections: Detections) -> tuple[str, str]:
        image, now = frame.image, frame.timestamp
        stats = PictureStats.of(image)
        frozen_for = self._frozen_for(image, now)
        limits = self.limits
        if limits.picture.blinded(stats):
            return "blinded", (
                f"{stats.saturated:.0%} of pixels saturated, mean brightness {stats.mean:.0f}"
            )
        if limits.picture.covered(stats):
            return "covered", f"mean brightness {stats.mean:.0f}, contrast {stats.std:.1f}"
        if frozen_for >= limits.frozen_seconds:
            return "frozen", f"no change for {frozen_for:.0f} s"
        if self._scene is None:
            if len(detections) == 0:
                self.set_reference(image)
                log.info("camera %s: reference view taken at %s", self.camera.id, now)
            return "online", ""
        return self._scene_state(image, now, boxes_of(detections))

    def _frozen_for(self, image: Image, now: datetime) -> float:
        step = max(1, image.shape[1] // FROZEN_WIDTH)
        small = np.ascontiguousarray(
            image[::step, ::step, 1] if image.ndim == 3 else image[::step, ::step]
        )
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            self._unchanged_since = None
            return 0.0
        changed = np.count_nonzero(cv2.absdiff(previous, small) > CHANGED_LEVELS) / small.size
        if changed >= self.limits.frozen_changed_fraction:
            self._unchanged_since = None
            return 0.0
        if self._unchanged_since is None:
            self._unchanged_since = now
        return (now - self._unchanged_since).total_seconds()

    def _scene_state(
        self, image: Image, now: datetime, people: list[tuple[float, float, float, float]]
    ) -> tuple[str, str]:
        """Sharpness and scene alignment, at most once per ``scene_interval_seconds``."""
        interval = timedelta(seconds=self.limits.scene_interval_seconds)
        if self._last_scene_at is not None and now - self._last_scene_at < interval:
            return self._last_scene
        self._last_scene_at = now
        assert self._scene is not None
        ratio = sharpness(image) / max(self._sharpness, 1e-6)
        if ratio < self.limits.defocus_ratio:
            self._last_scene = (
                "defocused",
                f"sharpness {ratio:.0%} of the reference (limit {self.limits.defocus_ratio:.0%})",
            )
        else:
            match = self._scene.compare(image, people)
            self._last_scene = self._alignment(match)
        return self._last_scene

    def _alignment(self, match: SceneMatch) -> tuple[str, str]:
        limits = self.limits
        detail = (
            f"{match.inliers} of {self._scene.feature_count if self._scene else 0} reference "
            f"features match; shift {match.shift_fraction:.1%} of the width, rotation "
            f"{match.rotation_deg:.1f} deg"
        )
        if (
            match.inliers < limits.min_scene_inliers
            or match.shift_fraction > limits.moved_shift_fraction
            or abs(match.rotation_deg) > limits.moved_rotation_deg
        ):
            return "moved", detail
        return "online", detail

    # -- hold and recovery -------------------------------------------------------------------

    def _confirm(self, frame: FrameLike, status: str, detail: str) -> list[EventBase]:
        now = frame.timestamp
        if status == self.status:
            self._candidate = None
            return []
        if self._candidate is None or self._candidate[0] != status:
            self._candidate = (status, now)
        hold = self.limits.recover_seconds if status == "online" else self.limits.hold_seconds
        if status == "frozen":
            hold = 0.0  # frozen_seconds already is its hold time
        if (now - self._candidate[1]).total_seconds() < hold:
            return []
        self.status, self._candidate = status, None
        return [
            CameraHealth(
                id=frame_event_id("camera_health", self.camera.id, frame),
                device_id=self.camera.id,
                site_time=now,
                status=status,  # type: ignore[arg-type]
                detail=detail[:500] or None,
            )
        ]
