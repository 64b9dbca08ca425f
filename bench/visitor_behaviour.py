"""Visitor watch flags and cross-camera hand-off on real tracks.

Data: ``vtest.avi`` (PETS 2009, 768x576, 10 fps, ~80 s of people crossing a plaza) analysed at
5 fps by the real pipeline (motion gate, CenterNet, ByteTrack, floor mapping, clothing colour
signatures) on ``tests/fixtures/visitors-site.yaml`` (a homography maps the plaza to about
12 m x 19 m; a tier-4 artwork stands at (6, 10) m, an exit zone on the left edge, a blind-spot
zone at the top right). Either the pipeline runs here, or ``--events`` reads the JSON lines of

    artguard analyze .../vtest.avi --camera cam-1 --site tests/fixtures/visitors-site.yaml \
        --fps 5 --start 2026-11-23T12:00:00+00:00 --no-checks > vtest.jsonl

Reported:

1. Appearance: distances between signatures of the same track >= 2 s apart and of two tracks
   seen at the same time (certainly two people), and how many of each pass the hand-off
   threshold.
2. False flags: the clip is ~20 visitors, too few to learn from, so normal is learned from
   ``--replays`` copies of the clip shifted in time (track ids renumbered, floor points jittered
   by a few cm); then the original clip is judged with learning off. Flags per 100 visitors,
   with the learned model and with the defaults (nothing learned). In-sample: the tracks judged
   are the tracks learned from.
3. Detection: ``--inject`` synthetic anomalous visitors of each kind, each added to the real
   crowd of the clip (the crowd keeps walking around them): circling (4-6 stops at the
   masterpiece), lingering at the exit (100-240 s), walking against the learned flow, staying
   after the closing announcement (the clip replayed at 18:06-18:30; control: at 17:48).
   Detection rate = share of injected visitors flagged with the right reason.
4. Hand-off: (a) two virtual cameras, the left 420 px and the right 420 px of the frame (72 px
   overlap), each with its own track ids: a person seen by both should become one visitor;
   (b) each real track of 10 s or more has 2-4 s cut from its middle and the rest renumbered:
   the two fragments should be joined. Precision and recall against the original track ids
   (ByteTrack's own id switches count against us, so the figures are a lower bound).

    .venv/bin/python bench/visitor_behaviour.py [--events vtest.jsonl] [--replays 8] [--inject 20]

Figures measured while other work loads the CPU are unaffected (nothing here is timed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from artguard.events import Detection, TrackedObject, WatchFlag, parse_event
from artguard.site import Site, load_site
from artguard.vision.appearance import SIGNATURE_LENGTH, distance
from artguard.visitors.handoff import MAX_APPEARANCE
from artguard.visitors.model import BehaviourModel
from artguard.visitors.watch import VisitorWatch

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
SITE = ROOT / "tests" / "fixtures" / "visitors-site.yaml"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STEP = 0.2
EXIT_BOX = (20.0, 350.0, 50.0, 450.0)
MIDDLE_BOX = (380.0, 300.0, 400.0, 400.0)


# -- input ------------------------------------------------------------------------------------


def pipeline_events(site: Site) -> list[Detection]:
    from artguard.vision.pipeline import CameraPipeline
    from artguard.vision.service import load_detector
    from artguard.vision.sources import VideoSource

    pipeline = CameraPipeline(site.camera("cam-1"), load_detector(None))
    found = []
    for frame in VideoSource(str(VTEST), fps=5.0, start_time=T0).frames():
        result = pipeline.process(frame)
        if result.detection is not None:
            found.append(result.detection)
    return found


def file_events(path: Path) -> list[Detection]:
    events = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.startswith("{"):
            continue
        try:
            event = parse_event(json.loads(line))
        except ValueError as exc:
            raise SystemExit(f"{path}:{number}: not a valid event: {exc}") from None
        if isinstance(event, Detection):
            events.append(event)
    return events


# -- stream editing ---------------------------------------------------------------------------


def shifted(
    events: list[Detection], seconds: float, id_offset: int, rng: random.Random, *, jitter: float
) -> list[Detection]:
    """A copy of the clip ``seconds`` later, track ids + ``id_offset``, floor points jittered."""
    out = []
    for event in events:
        objects = []
        for obj in event.objects:
            xy = obj.floor_xy
            if xy is not None and jitter:
                xy = (xy[0] + rng.gauss(0, jitter), xy[1] + rng.gauss(0, jitter))
            track = None if obj.track_id is None else obj.track_id + id_offset
            objects.append(obj.model_copy(update={"track_id": track, "floor_xy": xy}))
        out.append(
            event.model_copy(
                update={
                    "id": f"{event.id}-{id_offset}",
                    "site_time": event.site_time + timedelta(seconds=seconds),
                    "objects": objects,
                }
            )
        )
    return out


def with_extra(
    events: list[Detection], extra: dict[datetime, list[TrackedObject]]
) -> list[Detection]:
    """The clip with extra people added to its frames (new frames where the clip has none)."""
    by_time = {e.site_time: e for e in events}
    out = []
    for at in sorted(set(by_time) | set(extra)):
        base = by_time.get(at)
        objects = list(base.objects) if base else []
        objects += extra.get(at, [])
        out.append(
            Detection(
                id=f"x-{at.timestamp():.3f}".replace(".", "_"),
                device_id="cam-1",
                site_time=at,
                objects=objects,
            )
        )
    return out


def random_look(rng: random.Random) -> list[float]:
    values = [0.0] * SIGNATURE_LENGTH
    values[rng.randrange(12)] = 0.5
    values[16 + rng.randrange(16)] = 0.5
    return values


def path_points(
    start: datetime, path: list[tuple[float, float]], speed: float, pauses: list[float]
) -> list[tuple[datetime, tuple[float, float]]]:
    """Walk ``path`` at ``speed``, pausing ``pauses[i]`` seconds at waypoint i+1."""
    t = start
    out = [(t, path[0])]
    for i, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(path)):
        steps = max(1, round(math.hypot(x1 - x0, y1 - y0) / speed / STEP))
        for k in range(1, steps + 1):
            t += timedelta(seconds=STEP)
            out.append((t, (x0 + k / steps * (x1 - x0), y0 + k / steps * (y1 - y0))))
        for _ in range(round((pauses[i] if i < len(pauses) else 0) / STEP)):
            t += timedelta(seconds=STEP)
            out.append((t, (x1, y1)))
    return out


def as_track(
    points: list[tuple[datetime, tuple[float, float]]],
    track: int,
    look: list[float],
    box: tuple[float, float, float, float] = MIDDLE_BOX,
) -> dict[datetime, list[TrackedObject]]:
    """Snap to the clip's 5 fps frame times; the signature every 2 s like the camera sends."""
    out: dict[datetime, list[TrackedObject]] = {}
    for i, (at, xy) in enumerate(points):
        frame = T0 + timedelta(seconds=round((at - T0).total_seconds() / STEP) * STEP)
        obj = TrackedObject(
            track_id=track,
            confidence=0.9,
            bbox=box,
            floor_xy=(round(xy[0], 3), round(xy[1], 3)),
            appearance=look if i % 10 == 0 else None,
        )
        out.setdefault(frame, []).append(obj)
    return out


# -- running the watch ------------------------------------------------------------------------


def judge(site: Site, model: BehaviourModel, events: Iterable[Detection]) -> tuple[list, int]:
    watch = VisitorWatch(site, model, learn=False)
    flags: list[WatchFlag] = []
    last = None
    for event in events:
        flags += watch.on_detection(event)
        last = event.site_time
    if last is not None:
        flags += watch.finish_all(last)
    return flags, watch.visitors_seen


def learn(site: Site, events: list[Detection], replays: int, rng: random.Random) -> BehaviourModel:
    span = (events[-1].site_time - events[0].site_time).total_seconds() + 60
    watch = VisitorWatch(site)
    for r in range(replays):
        copy = shifted(events, r * span, 10_000 * (r + 1), rng, jitter=0.05)
        for event in copy:
            watch.on_detection(event)
        watch.finish_all(copy[-1].site_time)
    return watch.model


def flagged_visitors(flags: list[WatchFlag], kind: str | None = None) -> set[str]:
    return {
        f.visitor_id
        for f in flags
        if f.status != "cleared" and (kind is None or kind in f.reason_kinds)
    }


def injected_visitor_flagged(flags: list[WatchFlag], track: int, kind: str) -> bool:
    return any(
        f"cam-1:{track}" in f.tracks and kind in f.reason_kinds
        for f in flags
        if f.status != "cleared"
    )


# -- the four reports -------------------------------------------------------------------------


def appearance_report(events: list[Detection]) -> None:
    sigs: dict[int, list[tuple[float, list[float]]]] = defaultdict(list)
    for e in events:
        t = (e.site_time - T0).total_seconds()
        for o in e.objects:
            if o.appearance and o.track_id is not None:
                sigs[o.track_id].append((t, o.appearance))
    same = [
        distance(a, b)
        for s in sigs.values()
        for i, (ta, a) in enumerate(s)
        for tb, b in s[i + 1 :]
        if tb - ta >= 2
    ]
    diff = [
        distance(a, b)
        for x in sigs
        for y in sigs
        if x < y
        for ta, a in sigs[x]
        for tb, b in sigs[y]
        if abs(ta - tb) < 2.5
    ]
    print("1. appearance signatures (smoothed, as sent by the pipeline)")
    print(f"   tracks with signatures: {len(sigs)}, signatures: {sum(map(len, sigs.values()))}")
    for name, values, passing in (
        ("same track >= 2 s apart", same, True),
        ("two people at once", diff, False),
    ):
        q = statistics.quantiles(values, n=20)
        share = sum((v <= MAX_APPEARANCE) == passing for v in values) / len(values)
        verdict = "within" if passing else "beyond"
        print(
            f"   {name:24s} n={len(values):5d}  median {statistics.median(values):.3f}  "
            f"p5 {q[0]:.3f}  p95 {q[-1]:.3f}  {verdict} threshold {MAX_APPEARANCE}: {share:.1%}"
        )


def false_flag_report(site: Site, events: list[Detection], model: BehaviourModel) -> None:
    print("2. false flags on the real tracks (judged, learning off)")
    for name, m in (("learned", model), ("defaults", BehaviourModel())):
        flags, visitors = judge(site, m, events)
        flagged = flagged_visitors(flags)
        kinds = sorted({k for f in flags for k in f.reason_kinds})
        print(
            f"   {name:9s} visitors {visitors:3d}  flagged {len(flagged):2d}  "
            f"= {100 * len(flagged) / max(visitors, 1):.1f} per 100 visitors  {kinds or ''}"
        )


def strongest_flow(model: BehaviourModel) -> tuple[tuple[float, float], tuple[float, float]]:
    """Centre of the plaza cell with the most single-minded learned flow, and its direction."""
    cells = model.flow.get("plaza|12-15", {})
    best = max(
        (f for f in cells.items() if f[1].n >= 20), key=lambda item: item[1].coherence * item[1].n
    )
    ix, iy = (int(v) for v in best[0].split(","))
    return ((ix + 0.5) * 2.0, (iy + 0.5) * 2.0), best[1].direction


def detection_report(
    site: Site, events: list[Detection], model: BehaviourModel, n: int, rng: random.Random
) -> None:
    print(f"3. detection of injected anomalous visitors ({n} of each kind, in the real crowd)")
    clip = (events[-1].site_time - events[0].site_time).total_seconds()
    centre, (fx, fy) = strongest_flow(model)
    cells = [f for f in model.flow.get("plaza|12-15", {}).values() if f.n >= 20]
    clear = sum(f.coherence >= 0.6 for f in cells)
    star = model.visits.get("aw-star")
    print(
        f"   learned: {clear} of {len(cells)} floor cells with >= 20 samples have a clear flow "
        f"(two-way traffic); the clearest at {centre} heads ({fx:.2f}, {fy:.2f}); "
        f"visitors who stopped at the masterpiece: {star.total if star else 0} "
        f"(< {site.policies.visitors.min_learned_visitors}: circling judged by the default)"
    )
    results: dict[str, list[bool]] = defaultdict(list)
    for i in range(n):
        track = 90_000 + i
        look = random_look(rng)
        start = T0 + timedelta(seconds=rng.uniform(0, max(clip - 60, 1)))
        # circling: 4-6 stops at the masterpiece (6, 10), walking 5-8 m away between them
        visits = rng.randint(4, 6)
        path, pauses = [(12.0, rng.uniform(6, 14))], []
        for _ in range(visits):
            path += [(6.0 + rng.uniform(-0.8, 0.8), 10.0 + rng.uniform(-0.8, 0.8))]
            pauses.append(rng.uniform(4, 12))
            angle = rng.uniform(0, 2 * math.pi)
            d = rng.uniform(5, 8)
            path.append((6.0 + d * math.cos(angle), 10.0 + d * math.sin(angle)))
            pauses.append(0.0)
        circ = as_track(path_points(start, path, rng.uniform(0.8, 1.3), pauses), track, look)
        flags, _ = judge(site, model, with_extra(events, circ))
        results["circling"].append(injected_visitor_flagged(flags, track, "circling"))
        # lingering at the exit zone
        seconds = rng.uniform(100, 240)
        xy = (rng.uniform(-4, -2), rng.uniform(1, 4))
        pts = path_points(start, [xy, xy], 1.0, [seconds])
        linger = as_track(pts, track, look, EXIT_BOX)
        flags, _ = judge(site, model, with_extra(events, linger))
        results["lingering"].append(injected_visitor_flagged(flags, track, "lingering"))
        # against the flow through the strongest-flow cell, 8-12 m
        length = rng.uniform(8, 12)
        a = (centre[0] + fx * length / 2, centre[1] + fy * length / 2)
        b = (centre[0] - fx * length / 2, centre[1] - fy * length / 2)
        against = as_track(path_points(start, [a, b], rng.uniform(0.9, 1.4), []), track, look)
        flags, _ = judge(site, model, with_extra(events, against))
        results["against_flow"].append(injected_visitor_flagged(flags, track, "against_flow"))
    # after closing: the whole clip, everyone in it, at 18:06-18:30 (and a control at 17:48)
    late_hits = []
    for _ in range(max(1, n // 4)):
        minutes = rng.uniform(6, 30)
        late = shifted(events, 6 * 3600 + minutes * 60, 0, rng, jitter=0.0)
        flags, visitors = judge(site, model, late)
        late_hits.append(len(flagged_visitors(flags, "after_closing")) / max(visitors, 1))
    control = shifted(events, 5 * 3600 + 48 * 60, 0, rng, jitter=0.0)
    flags, visitors = judge(site, model, control)
    for kind, hits in results.items():
        print(f"   {kind:14s} detected {sum(hits):3d}/{len(hits)} = {sum(hits) / len(hits):.0%}")
    print(
        f"   after_closing  visitors flagged at 18:06-18:30: {statistics.mean(late_hits):.0%}; "
        f"at 17:48 (before the limit): {len(flagged_visitors(flags, 'after_closing'))}"
        f"/{visitors}"
    )


def one_way_crowd(n: int, rng: random.Random, start: float, first_track: int) -> dict:
    """Synthetic visitors crossing the plaza west to east (a one-way exhibition route)."""
    extra: dict[datetime, list[TrackedObject]] = {}
    for i in range(n):
        y = rng.uniform(3, 17)
        path = [(-2.0, y), (6.0, y + rng.uniform(-1.5, 1.5)), (14.0, y + rng.uniform(-1.5, 1.5))]
        begin = T0 + timedelta(seconds=start + i * rng.uniform(2, 4))
        pts = path_points(begin, path, rng.uniform(0.8, 1.5), [rng.uniform(0, 8)])
        for at, objs in as_track(pts, first_track + i, random_look(rng)).items():
            extra.setdefault(at, []).extend(objs)
    return extra


def synthetic_flow_report(site: Site, n: int, rng: random.Random) -> None:
    """Against-the-flow where there is a flow: a synthetic one-way route (the plaza clip has
    two-way traffic, so no direction there is 'against')."""
    learn_stream = with_extra([], one_way_crowd(200, rng, 0.0, 1))
    watch = VisitorWatch(site)
    for event in learn_stream:
        watch.on_detection(event)
    watch.finish_all(learn_stream[-1].site_time)
    model = watch.model
    crowd = one_way_crowd(60, rng, 0.0, 5_000)
    flags, visitors = judge(site, model, with_extra([], crowd))
    false = len(flagged_visitors(flags, "against_flow"))
    hits = []
    for i in range(n):
        track = 80_000 + i
        y = rng.uniform(4, 16)
        begin = T0 + timedelta(seconds=rng.uniform(0, 100))
        pts = path_points(
            begin, [(13.0, y), (0.0, y + rng.uniform(-2, 2))], rng.uniform(0.9, 1.4), []
        )
        extra = one_way_crowd(60, rng, 0.0, 5_000)
        for at, objs in as_track(pts, track, random_look(rng)).items():
            extra.setdefault(at, []).extend(objs)
        flags, _ = judge(site, model, with_extra([], extra))
        hits.append(injected_visitor_flagged(flags, track, "against_flow"))
    print(
        f"   against_flow on a synthetic one-way route (learned from 200 visitors): detected "
        f"{sum(hits)}/{len(hits)} = {sum(hits) / len(hits):.0%}; false against-flow flags in a "
        f"normal one-way crowd: {false}/{visitors}"
    )


def two_camera_site(site: Site) -> Site:
    data = site.model_dump(mode="json", by_alias=True)
    base = next(c for c in data["cameras"] if c["id"] == "cam-1")
    data["cameras"] = [
        {**base, "id": "cam-l", "zones": []},
        {**base, "id": "cam-r", "zones": []},
    ]
    return Site.model_validate(data)


def handoff_report(site: Site, events: list[Detection]) -> None:
    print("4. hand-off (precision / recall against the tracker's own ids)")
    two = two_camera_site(site)
    split = []
    for e in events:
        for cam, keep, offset in (
            ("cam-l", lambda x: x < 420, 0),
            ("cam-r", lambda x: x > 348, 100_000),
        ):
            objects = [
                o.model_copy(update={"track_id": o.track_id + offset})
                for o in e.objects
                if o.track_id is not None and keep((o.bbox[0] + o.bbox[2]) / 2)
            ]
            split.append(
                e.model_copy(update={"id": f"{e.id}-{cam}", "device_id": cam, "objects": objects})
            )
    watch = VisitorWatch(two, learn=False)
    visitor_of: dict[str, str] = {}
    for event in split:
        watch.on_detection(event)
        for v in watch.linker.visitors.values():
            for key in v.tracks:
                visitor_of[key] = v.id
    left = {int(k.split(":")[1]) for k in visitor_of if k.startswith("cam-l")}
    right = {int(k.split(":")[1]) - 100_000 for k in visitor_of if k.startswith("cam-r")}
    both = left & right
    joined = sum(visitor_of[f"cam-l:{t}"] == visitor_of[f"cam-r:{t + 100_000}"] for t in both)
    cross = [
        link
        for link in watch.linker.links
        if link.track_key.split(":")[0] != link.from_track.split(":")[0]
    ]
    correct = sum(_origin(link.track_key) == _origin(link.from_track) for link in cross)
    print(
        f"   (a) two overlapping virtual cameras: people seen by both {len(both)}, "
        f"joined {joined} (recall {joined / max(len(both), 1):.0%}); cross-camera links "
        f"{len(cross)}, right {correct} (precision {correct / max(len(cross), 1):.0%})"
    )
    # (b) cut 2-4 s out of the middle of each long track
    rng = random.Random(3)
    spans: dict[int, list[datetime]] = defaultdict(list)
    for e in events:
        for o in e.objects:
            if o.track_id is not None:
                spans[o.track_id].append(e.site_time)
    cuts = {}
    for track, times in spans.items():
        if (times[-1] - times[0]).total_seconds() >= 10:
            middle = times[0] + (times[-1] - times[0]) / 2
            cuts[track] = (middle, middle + timedelta(seconds=rng.uniform(2, 4)))
    cut_events = []
    for e in events:
        objects = []
        for o in e.objects:
            cut = cuts.get(o.track_id) if o.track_id is not None else None
            if cut and cut[0] <= e.site_time < cut[1]:
                continue
            if cut and e.site_time >= cut[1] and o.track_id is not None:
                o = o.model_copy(update={"track_id": o.track_id + 50_000})
            objects.append(o)
        cut_events.append(e.model_copy(update={"objects": objects}))
    watch = VisitorWatch(site, learn=False)
    visitor_of = {}
    for event in cut_events:
        watch.on_detection(event)
        for v in watch.linker.visitors.values():
            for key in v.tracks:
                visitor_of[key] = v.id
    rejoined = sum(
        visitor_of.get(f"cam-1:{t}") == visitor_of.get(f"cam-1:{t + 50_000}") for t in cuts
    )
    tail_links = [link for link in watch.linker.links if int(link.track_key.split(":")[1]) > 50_000]
    right = sum(
        visitor_of.get(f"cam-1:{int(link.track_key.split(':')[1]) - 50_000}") == link.visitor_id
        for link in tail_links
    )
    other = len(watch.linker.links) - len(tail_links)
    print(
        f"   (b) tracks cut for 2-4 s: {len(cuts)}, rejoined {rejoined} "
        f"(recall {rejoined / max(len(cuts), 1):.0%}); links of the cut-off tails "
        f"{len(tail_links)}, right {right} (precision {right / max(len(tail_links), 1):.0%}); "
        f"other links (the tracker's own breaks, truth unknown) {other}"
    )


def _origin(track_key: str) -> int:
    """The original (single-camera) track id of a virtual camera's track."""
    camera, track = track_key.split(":")
    return int(track) - (100_000 if camera == "cam-r" else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=Path, help="JSONL from artguard analyze (else run it)")
    parser.add_argument("--replays", type=int, default=8, help="Copies of the clip to learn from")
    parser.add_argument("--inject", type=int, default=20, help="Anomalies of each kind")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    site = load_site(SITE)
    if args.events:
        events = file_events(args.events)
    else:
        if not VTEST.exists():
            raise SystemExit(f"{VTEST} not found (shared reference data); pass --events")
        events = pipeline_events(site)
    if not events:
        raise SystemExit("no detection events")
    rng = random.Random(args.seed)
    print(f"vtest.avi: {len(events)} analysed frames, "
          f"{len({o.track_id for e in events for o in e.objects})} tracks")  # fmt: skip
    appearance_report(events)
    model = learn(site, events, args.replays, rng)
    print(f"   learned from {args.replays} replays: {model.visitors} visitors")
    false_flag_report(site, events, model)
    detection_report(site, events, model, args.inject, rng)
    synthetic_flow_report(site, args.inject, rng)
    handoff_report(site, events)


if __name__ == "__main__":
    main()
