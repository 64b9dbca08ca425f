"""Face verification: is the face at the door the enrolled person?

dlib's ResNet descriptor maps an aligned face to a 128-D vector; two photos of one person lie
closer (Euclidean) than :data:`DEFAULT_THRESHOLD`. Chosen over the FaceRes and MobileFace
models of ``@vladmandic/human`` by ``bench/face_verify.py`` on the 15 distinct photos of 5
people in ``face_recognition_examples``: dlib's genuine pairs measure at most 0.43 and its
impostor pairs at least 0.69 (no error at any threshold between), while FaceRes's overlap
(EER 1.2 %) and MobileFace as converted does not separate faces at all. dlib publishes 0.6 for
LFW; the step-up uses 0.55, between the two groups and a little stricter: at a door a false
accept (someone else let in) costs more than a retry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from artguard.biometrics.faces import Face, Image, largest_face
from artguard.biometrics.models import face_encoder

DEFAULT_THRESHOLD = 0.55
DESCRIPTOR_SIZE = 128
Descriptor = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Verification:
    distance: float
    threshold: float

    @property
    def match(self) -> bool:
        return self.distance <= self.threshold

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "distance": round(self.distance, 4),
            "threshold": self.threshold,
            "match": self.match,
        }


def describe_face(face: Face, jitters: int = 1) -> Descriptor:
    """The 128-D descriptor of a found face (aligned by its landmarks inside dlib).
    ``jitters`` > 1 averages that many randomly perturbed crops: slower, slightly steadier."""
    if jitters < 1:
        raise ValueError(f"jitters must be >= 1, got {jitters}")
    vector = face_encoder().compute_face_descriptor(face.rgb, face.shape, jitters)
    return np.asarray(vector, np.float32)


def describe(image: Image, what: str = "image", jitters: int = 1) -> Descriptor:
    """Descriptor of the largest face in a BGR image; :class:`FaceImageError` when none."""
    return describe_face(largest_face(image, what), jitters)


def distance(a: Descriptor, b: Descriptor) -> float:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.shape != (DESCRIPTOR_SIZE,) or b.shape != (DESCRIPTOR_SIZE,):
        raise ValueError(f"descriptors must be {DESCRIPTOR_SIZE}-D, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b))


def compare(a: Descriptor, b: Descriptor, threshold: float = DEFAULT_THRESHOLD) -> Verification:
    if not 0.0 < threshold < 2.0:
        raise ValueError(f"threshold must be in (0, 2), got {threshold}")
    return Verification(distance=distance(a, b), threshold=threshold)


def verify_images(
    a: Image, b: Image, threshold: float = DEFAULT_THRESHOLD, what: tuple[str, str] = ("A", "B")
) -> Verification:
    """Compare the largest faces of two BGR images."""
    return compare(describe(a, what[0]), describe(b, what[1]), threshold)
