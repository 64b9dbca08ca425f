"""MiniFASNet import without torch: reading the .pth, rebuilding the graph, passive scores."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import onnx
import pytest

from artguard.biometrics.faces import read_image
from artguard.biometrics.liveness.minifasnet import (
    MiniFASNetImportError,
    MiniFASNetSpec,
    import_minifasnet,
)
from artguard.biometrics.liveness.passive import PassiveLiveness, PassiveModelError, crop_box
from artguard.biometrics.liveness.torch_pickle import (
    LEGACY_MAGIC,
    StateDictError,
    load_state_dict,
)
from tests.biometrics.data import (
    PTH_DIR,
    SAMPLES,
    TRAIN,
    needs_dlib,
    needs_faces,
    needs_silent_face,
)

V2 = "2.7_80x80_MiniFASNetV2.pth"
V1SE = "4_0_0_80x80_MiniFASNetV1SE.pth"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("liveness")
    for name in (V2, V1SE):
        import_minifasnet(PTH_DIR / name, target)
    return target


@needs_silent_face
def test_state_dict_is_read_without_torch() -> None:
    weights = load_state_dict(PTH_DIR / V2)
    assert len(weights) == 334
    conv = weights["module.conv1.conv.weight"]
    assert conv.shape == (32, 3, 3, 3) and conv.dtype == np.float32
    assert weights["module.prob.weight"].shape == (3, 128)
    assert np.all(weights["module.conv1.bn.running_var"] > 0)
    assert weights["module.conv1.bn.num_batches_tracked"].dtype == np.int64


@needs_silent_face
def test_import_writes_a_valid_onnx_model_and_its_description(imported) -> None:
    for name, scale, se in ((V2, 2.7, False), (V1SE, 4.0, True)):
        stem = name.removesuffix(".pth")
        model = onnx.load(imported / f"{stem}.onnx")
        onnx.checker.check_model(model)
        ops = {node.op_type for node in model.graph.node}
        assert {"Conv", "PRelu", "Add", "Softmax"} <= ops
        assert ("Sigmoid" in ops) == se  # squeeze-excitation gates only in V1SE
        meta = json.loads((imported / f"{stem}.json").read_text())
        assert meta["scale"] == scale and meta["input"] == [80, 80]
        assert len(meta["source_sha256"]) == 64
        assert se == ("V1SE" in meta["architecture"])


@needs_silent_face
@needs_dlib
def test_upstream_samples_are_classified_as_labelled(imported) -> None:
    passive = PassiveLiveness(imported)
    scores = {
        p.stem: passive.score(read_image(p), p.name) for p in sorted(SAMPLES.glob("image_??.jpg"))
    }
    assert set(scores) == {"image_F1", "image_F2", "image_T1"}
    assert not scores["image_F1"].live and not scores["image_F2"].live
    assert scores["image_T1"].live
    assert (
        scores["image_T1"].score
        > 0.9
        > 0.4
        > max(scores["image_F1"].score, scores["image_F2"].score)
    )


@needs_silent_face
@needs_dlib
@needs_faces
def test_bona_fide_photos_score_live(imported) -> None:
    passive = PassiveLiveness(imported)
    scores = [passive.score(read_image(p)).score for p in sorted(TRAIN.glob("*/*"))]
    assert min(scores) > 0.5


def test_malicious_pickle_is_refused(tmp_path) -> None:
    class Evil:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path / "victim"),))

    (tmp_path / "victim").mkdir()
    path = tmp_path / "2.7_80x80_MiniFASNetV2.pth"
    with path.open("wb") as file:
        for header in (LEGACY_MAGIC, 1001, {"little_endian": True}):
            pickle.dump(header, file)
        pickle.dump({"x": Evil()}, file)
    with pytest.raises(StateDictError, match=r"unexpected object shutil\.rmtree"):
        load_state_dict(path)
    assert (tmp_path / "victim").is_dir()


def test_bad_files_are_named(tmp_path) -> None:
    with pytest.raises(StateDictError, match="no such file"):
        load_state_dict(tmp_path / "missing.pth")
    junk = tmp_path / "2.7_80x80_MiniFASNetV2.pth"
    junk.write_bytes(struct.pack("<q", 7) * 4)
    with pytest.raises(StateDictError, match=re.escape(str(junk))):
        load_state_dict(junk)
    with pytest.raises(MiniFASNetImportError, match="expected an upstream file name"):
        MiniFASNetSpec.from_filename(tmp_path / "weights.pth")
    with pytest.raises(PassiveModelError, match="import-liveness"):
        PassiveLiveness(tmp_path)


def test_file_names_give_crop_scale_and_size() -> None:
    assert MiniFASNetSpec.from_filename(Path(V1SE)).scale == 4.0
    spec = MiniFASNetSpec.from_filename(Path("org_1_80x60_MiniFASNetV1.pth"))
    assert spec.scale is None and (spec.height, spec.width) == (80, 60)


def test_crop_is_the_grown_box_kept_inside_the_image() -> None:
    assert crop_box((480, 640), (300, 200, 340, 260), 2.0) == (280, 170, 360, 290)
    left, top, right, bottom = crop_box((480, 640), (0, 0, 100, 100), 4.0)
    assert (left, top) == (0, 0) and right <= 639 and bottom <= 479
