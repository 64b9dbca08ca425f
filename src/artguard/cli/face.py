"""``artguard face``: face verification, liveness and template administration.

For integrators and audits: ``verify`` compares the faces of two images, ``liveness`` scores
images (passive models, when imported) and checks a frame sequence against a challenge
prompt. ``import-liveness`` turns the site's MiniFASNet ``.pth`` files into ONNX under the data
dir; ``new-key``, ``enrol``, ``erase`` and ``purge-expired`` manage encrypted templates (each
enrolment and erasure is written to the audit log). Exit status: 0 match / live / done,
1 no match / not live, 2 bad input or configuration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from artguard.cli.service import DatabaseUrl, DataDir, settings_from

EXIT_NO = 1
EXIT_USAGE = 2
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm"}

face_app = typer.Typer(
    name="face",
    help="Face verification, liveness checks and enrolled face templates.",
    no_args_is_help=True,
)

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


@contextmanager
def _biometric_errors() -> Iterator[None]:
    """Bad images, missing models or keys: one clear line and exit 2, no traceback."""
    from artguard.biometrics.faces import FaceImageError
    from artguard.biometrics.keys import BiometricKeyError
    from artguard.biometrics.liveness.minifasnet import MiniFASNetImportError
    from artguard.biometrics.liveness.passive import PassiveModelError
    from artguard.biometrics.liveness.torch_pickle import StateDictError
    from artguard.biometrics.models import BiometricModelError
    from artguard.biometrics.templates import TemplateError

    try:
        yield
    except (
        FaceImageError,
        BiometricKeyError,
        BiometricModelError,
        MiniFASNetImportError,
        PassiveModelError,
        StateDictError,
        TemplateError,
    ) as exc:
        raise _fail(str(exc)) from None


@face_app.command("verify")
def verify_command(
    image_a: Annotated[Path, typer.Argument(help="First image (e.g. the enrolment photo)")],
    image_b: Annotated[Path, typer.Argument(help="Second image (e.g. the door camera frame)")],
    threshold: Annotated[
        float | None, typer.Option(help="Match when distance <= this [0.55]")
    ] = None,
    as_json: Json = False,
) -> None:
    """Distance between the largest faces of two images, the threshold and the verdict."""
    from artguard.biometrics.faces import read_image
    from artguard.biometrics.verify import DEFAULT_THRESHOLD, verify_images

    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 < limit < 2.0:
        raise _fail(f"--threshold must be in (0, 2), got {limit}")
    with _biometric_errors():
        result = verify_images(
            read_image(image_a), read_image(image_b), limit, (str(image_a), str(image_b))
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        verdict = "same person" if result.match else "different people"
        typer.echo(f"distance {result.distance:.4f} threshold {limit:.2f}: {verdict}")
    if not result.match:
        raise typer.Exit(EXIT_NO)


def _frames(paths: list[Path], fps: float) -> Iterator[tuple[str, float, Any]]:
    """(label, capture time, BGR image) for images (at ``fps``) and video files (own clock)."""
    import cv2

    from artguard.biometrics.faces import FaceImageError, read_image

    t = 0.0
    for path in paths:
        if path.suffix.lower() in VIDEO_SUFFIXES:
            capture = cv2.VideoCapture(str(path))
            if not capture.isOpened():
                raise FaceImageError(f"{path}: not a readable video")
            index = 0
            start = t
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                t = start + capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                yield f"{path}#{index}", t, frame
                index += 1
            capture.release()
            if index == 0:
                raise FaceImageError(f"{path}: no frames")
        else:
            yield str(path), t, read_image(path)
            t += 1.0 / fps


@face_app.command("liveness")
def liveness_command(
    inputs: Annotated[
        list[Path], typer.Argument(help="Images, or the frames of one attempt in order, or a video")
    ],
    prompt: Annotated[
        str | None,
        typer.Option(
            help="Check the frames as the answer to this prompt: blink, turn_left, turn_right, "
            "look_up (the person's own left/right)"
        ),
    ] = None,
    fps: Annotated[float, typer.Option(help="Capture rate of image frames")] = 30.0,
    time_limit: Annotated[float, typer.Option(help="Seconds allowed to answer the prompt")] = 4.0,
    threshold: Annotated[float, typer.Option(help="Passive score needed for live")] = 0.5,
    models_dir: Annotated[
        Path | None,
        typer.Option(help="Imported MiniFASNet models [<data dir>/biometrics/liveness]"),
    ] = None,
    data_dir: DataDir = None,
    as_json: Json = False,
) -> None:
    """Passive liveness score per image and, with --prompt, the challenge result."""
    from artguard.biometrics.faces import find_faces
    from artguard.biometrics.liveness.challenge import (
        Challenge,
        ChallengeVerifier,
        ObservedPose,
        Prompt,
    )
    from artguard.biometrics.liveness.passive import PassiveLiveness, PassiveModelError
    from artguard.biometrics.liveness.pose import pose_from_landmarks

    if fps <= 0 or time_limit <= 0:
        raise _fail("--fps and --time-limit must be positive")
    challenge_prompt = None
    if prompt is not None:
        try:
            challenge_prompt = Prompt(prompt)
        except ValueError:
            raise _fail(
                f"--prompt {prompt!r}: expected one of {[p.value for p in Prompt]}"
            ) from None
    folder = models_dir or settings_from(data_dir, None).data_dir / "biometrics" / "liveness"
    passive = None
    with _biometric_errors():
        try:
            passive = PassiveLiveness(folder, threshold)
        except PassiveModelError:
            if challenge_prompt is None:
                raise
    observed: list[ObservedPose] = []
    all_live = True
    with _biometric_errors():
        for label, t, image in _frames(inputs, fps):
            faces = find_faces(image)
            row: dict[str, Any] = {"image": label, "face": bool(faces), "score": None, "live": None}
            if faces and passive is not None:
                scored = passive.score_face(image, faces[0])
                row.update(score=round(scored.score, 4), live=scored.live)
                row["models"] = {k: round(v, 4) for k, v in scored.per_model.items()}
            elif not faces:
                row["live"] = False
            if row["live"] is False:
                all_live = False
            observed.append(
                ObservedPose(t, pose_from_landmarks(faces[0].landmarks) if faces else None)
            )
            _print_row(row, as_json)
    if challenge_prompt is not None:
        challenge = Challenge(challenge_prompt, issued_at=0.0, time_limit_s=time_limit)
        result = ChallengeVerifier().check_poses(challenge, observed)
        if as_json:
            typer.echo(json.dumps({"challenge": result.as_dict()}))
        else:
            verdict = "PASSED" if result.passed else "FAILED"
            typer.echo(f"challenge {result.prompt}: {verdict} ({result.reason})")
        all_live = all_live and result.passed
    if not all_live:
        raise typer.Exit(EXIT_NO)


def _print_row(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(row))
    elif not row["face"]:
        typer.echo(f"{row['image']}: no face")
    elif row["score"] is None:
        typer.echo(f"{row['image']}: face (no passive models imported)")
    else:
        verdict = "live" if row["live"] else "NOT live"
        typer.echo(f"{row['image']}: score {row['score']:.3f} {verdict}")


@face_app.command("import-liveness")
def import_liveness_command(
    weights: Annotated[list[Path], typer.Argument(help="MiniFASNet .pth files, upstream names")],
    data_dir: DataDir = None,
) -> None:
    """Convert the site's MiniFASNet weights to ONNX under <data dir>/biometrics/liveness."""
    from artguard.biometrics.liveness.minifasnet import import_minifasnet

    target = settings_from(data_dir, None).data_dir / "biometrics" / "liveness"
    with _biometric_errors():
        for path in weights:
            typer.echo(f"imported {path.name} -> {import_minifasnet(path, target)}")


@face_app.command("new-key")
def new_key_command() -> None:
    """Print a new random template key for ARTGUARD_BIOMETRIC_KEY (keep it out of the DB)."""
    from artguard.biometrics.keys import new_key

    typer.echo(new_key())


@contextmanager
def _store(data_dir: Path | None, database_url: str | None) -> Iterator[Any]:
    from artguard.biometrics.keys import load_key
    from artguard.biometrics.templates import TemplateStore
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    settings = settings_from(data_dir, database_url)
    with _biometric_errors():
        key = load_key(settings.environ)
    engine = open_database(settings)
    try:
        with _biometric_errors():
            yield TemplateStore.for_data_dir(settings.data_dir, key, AuditLog(engine))
    finally:
        engine.dispose()


@face_app.command("enrol")
def enrol_command(
    person_id: Annotated[str, typer.Argument(help="The person's id in the site (people list)")],
    images: Annotated[list[Path], typer.Argument(help="Enrolment photos, one face each")],
    consent_given_by: Annotated[str, typer.Option(help="Who gave consent")],
    recorded_by: Annotated[str, typer.Option(help="Operator recording the consent")],
    consent_version: Annotated[str, typer.Option(help="Version of the consent text shown")],
    retention_days: Annotated[int, typer.Option(help="Erase after this many days")] = 365,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Enrol a person's face with a recorded consent (template encrypted at rest)."""
    from artguard.biometrics.faces import read_image
    from artguard.biometrics.templates import Consent
    from artguard.biometrics.verify import describe
    from artguard.events import utcnow

    if retention_days <= 0:
        raise _fail("--retention-days must be positive")
    with _biometric_errors():
        consent = Consent(consent_given_by, recorded_by, consent_version, utcnow())
        descriptors = [describe(read_image(p), str(p)) for p in images]
    with _store(data_dir, database_url) as store:
        template = store.enrol(person_id, descriptors, consent, timedelta(days=retention_days))
    typer.echo(
        f"enrolled {person_id}: {len(descriptors)} photo(s), kept until "
        f"{template.retain_until:%Y-%m-%d}"
    )


@face_app.command("erase")
def erase_command(
    person_id: Annotated[str, typer.Argument(help="The person whose template to erase")],
    actor: Annotated[str, typer.Option(help="Who carries out the erasure")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log)")] = "request",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Erase a person's face template (and its consent record); audited."""
    with _store(data_dir, database_url) as store:
        existed = store.erase(person_id, actor, reason)
    typer.echo(f"erased {person_id}" if existed else f"no template for {person_id}")


@face_app.command("purge-expired")
def purge_expired_command(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Erase every template past its retention deadline."""
    with _store(data_dir, database_url) as store:
        erased = store.purge_expired()
    typer.echo(f"erased {len(erased)} expired template(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(face_app)
