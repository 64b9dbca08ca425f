"""Import MiniFASNet passive-liveness weights (Silent-Face-Anti-Spoofing, Apache-2.0) as ONNX.

The site supplies the ``.pth`` files (artguard ships no weights). :func:`import_minifasnet`
reads one with :mod:`.torch_pickle` (numpy only, no torch), rebuilds the network in the
``onnx`` helper API from the state dict's layer names and shapes, folds every batch norm into
the layer before it, checks the model and writes ``<name>.onnx`` plus ``<name>.json`` (crop
scale, input size, sha256 of the source) for :mod:`.passive` to run with onnxruntime.

The network, as in the upstream ``MiniFASNet.py`` (V1SE and V2 differ only in width and in
squeeze-excitation on the last block of each residual stage):

* ``conv1`` 3x3 stride 2, ``conv2_dw`` 3x3 depthwise: conv + BN + PReLU;
* ``conv_23``, ``conv_34``, ``conv_45``: 1x1 expand, 3x3 depthwise stride 2, 1x1 project;
* ``conv_3``, ``conv_4``, ``conv_5``: the same blocks at stride 1 with a residual add (and an
  SE gate before the add where ``se_module`` weights are present);
* ``conv_6_sep`` 1x1, ``conv_6_dw`` depthwise over the whole 5x5 map, ``linear``, ``bn``,
  ``prob``: three classes, of which index 1 is a real face.

Input: an 80x80 BGR crop, 0-255 (no scaling: upstream's ``to_tensor`` does not divide), NCHW.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from artguard.biometrics.liveness.torch_pickle import StateDictError, load_state_dict

BN_EPS = 1e-5
REAL_CLASS = 1
OPSET = 13
_NAME = re.compile(
    r"^(?P<scale>(?:org|\d+(?:\.\d+)?)(?:_\d+)*)_(?P<h>\d+)x(?P<w>\d+)_(?P<arch>\w+)$"
)

Array = npt.NDArray[np.float32]


class MiniFASNetImportError(ValueError):
    """The weights cannot be turned into a MiniFASNet model; the message says why."""


@dataclass(frozen=True)
class MiniFASNetSpec:
    """What the upstream file name encodes: ``2.7_80x80_MiniFASNetV2.pth`` is a crop 2.7
    times the face box, resized to 80x80; ``org_...`` uses the whole image."""

    name: str
    scale: float | None
    height: int
    width: int
    architecture: str

    @classmethod
    def from_filename(cls, path: Path) -> MiniFASNetSpec:
        stem = path.name.removesuffix(".pth")
        match = _NAME.match(stem)
        if not match:
            raise MiniFASNetImportError(
                f"{path.name}: expected an upstream file name like 2.7_80x80_MiniFASNetV2.pth "
                "(crop scale, input size, architecture)"
            )
        scale_text = match["scale"]
        scale = None if scale_text.startswith("org") else float(scale_text.split("_")[0])
        return cls(stem, scale, int(match["h"]), int(match["w"]), match["arch"])


class _Graph:
    """Accumulates ONNX nodes and initialisers while walking the state dict."""

    def __init__(self, weights: dict[str, Array]) -> None:
        self.weights = weights
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.used: set[str] = set()
        self._channels: dict[str, int] = {"input": 3}
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def get(self, key: str) -> Array:
        if key not in self.weights:
            raise MiniFASNetImportError(f"missing weight {key}")
        self.used.add(key)
        return self.weights[key].astype(np.float32)

    def const(self, hint: str, value: npt.NDArray[Any]) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        from onnx import helper

        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def bn(self, prefix: str) -> tuple[Array, Array]:
        """Scale and shift equal to the batch norm at ``prefix`` in inference mode."""
        gamma, beta = self.get(f"{prefix}.weight"), self.get(f"{prefix}.bias")
        mean, var = self.get(f"{prefix}.running_mean"), self.get(f"{prefix}.running_var")
        self.used.add(f"{prefix}.num_batches_tracked")
        scale = gamma / np.sqrt(var + BN_EPS)
        return scale, beta - mean * scale

    def conv_bn(self, x: str, conv: str, bn: str, stride: int, pad: int | None = None) -> str:
        weight = self.get(f"{conv}.weight")
        out_c, in_per_group, kh, kw = weight.shape
        groups = self.channels(x) // in_per_group
        scale, shift = self.bn(bn)
        folded = weight * scale[:, None, None, None]
        pad = kh // 2 if pad is None else pad
        y = self.node(
            "Conv",
            [x, self.const("w", folded), self.const("b", shift)],
            kernel_shape=[int(kh), int(kw)],
            strides=[stride, stride],
            pads=[pad, pad, pad, pad],
            group=int(groups),
        )
        self._channels[y] = int(out_c)
        return y

    def channels(self, x: str) -> int:
        return self._channels[x]

    def prelu(self, x: str, key: str) -> str:
        slope = self.get(key).reshape(-1, 1, 1)
        y = self.node("PRelu", [x, self.const("slope", slope)])
        self._channels[y] = self._channels[x]
        return y

    def conv_block(self, x: str, prefix: str, stride: int, pad: int | None = None) -> str:
        y = self.conv_bn(x, f"{prefix}.conv", f"{prefix}.bn", stride, pad)
        return self.prelu(y, f"{prefix}.prelu.weight")

    def depth_wise(self, x: str, prefix: str, stride: int, residual: bool) -> str:
        y = self.conv_block(x, f"{prefix}.conv", 1)
        y = self.conv_block(y, f"{prefix}.conv_dw", stride)
        y = self.conv_bn(y, f"{prefix}.project.conv", f"{prefix}.project.bn", 1)
        if not residual:
            return y
        if f"{prefix}.se_module.fc1.weight" in self.weights:
            se = f"{prefix}.se_module"
            g = self.node("GlobalAveragePool", [y])
            self._channels[g] = self._channels[y]
            g = self.conv_bn(g, f"{se}.fc1", f"{se}.bn1", 1, 0)
            g = self.node("Relu", [g])
            self._channels[g] = self.weights[f"{se}.fc1.weight"].shape[0]
            g = self.conv_bn(g, f"{se}.fc2", f"{se}.bn2", 1, 0)
            g = self.node("Sigmoid", [g])
            y2 = self.node("Mul", [y, g])
            self._channels[y2] = self._channels[y]
            y = y2
        out = self.node("Add", [x, y])
        self._channels[out] = self._channels[y]
        return out


def build_onnx(weights: dict[str, Array], spec: MiniFASNetSpec) -> Any:
    """The ONNX model for a MiniFASNet state dict (``module.`` prefixes already removed)."""
    from onnx import TensorProto, checker, helper

    g = _Graph(weights)
    x = g.conv_block("input", "conv1", 2)
    x = g.conv_block(x, "conv2_dw", 1)
    for stage in ("3", "4", "5"):
        down = {"3": "conv_23", "4": "conv_34", "5": "conv_45"}[stage]
        x = g.depth_wise(x, down, 2, residual=False)
        block = 0
        while f"conv_{stage}.model.{block}.conv.conv.weight" in weights:
            x = g.depth_wise(x, f"conv_{stage}.model.{block}", 1, residual=True)
            block += 1
        if block == 0:
            raise MiniFASNetImportError(f"no residual blocks found for conv_{stage}")
    x = g.conv_block(x, "conv_6_sep", 1)
    x = g.conv_bn(x, "conv_6_dw.conv", "conv_6_dw.bn", 1, 0)
    x = g.node("Flatten", [x], axis=1)
    if "linear.weight" in weights:
        x = g.node("MatMul", [x, g.const("linear", g.get("linear.weight").T)])
    scale, shift = g.bn("bn")
    x = g.node("Mul", [x, g.const("bn_scale", scale)])
    x = g.node("Add", [x, g.const("bn_shift", shift)])
    x = g.node("MatMul", [x, g.const("prob", g.get("prob.weight").T)])
    g.nodes.append(helper.make_node("Softmax", [x], ["probs"], axis=1))
    unused = sorted(k for k in weights if k not in g.used and not k.startswith("FTGenerator"))
    if unused:
        raise MiniFASNetImportError(f"weights not used by the MiniFASNet graph: {unused[:5]}")
    input_info = helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, [1, 3, spec.height, spec.width]
    )
    graph = helper.make_graph(
        g.nodes,
        spec.name,
        [input_info],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 3])],
        initializer=g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    checker.check_model(model)
    return model


def import_minifasnet(source: Path, target_dir: Path) -> Path:
    """Convert one upstream ``.pth`` into ``target_dir/<name>.onnx`` (+ ``.json``); returns the
    ONNX path. Raises :class:`MiniFASNetImportError` or :class:`StateDictError` naming the file."""
    source = Path(source)
    spec = MiniFASNetSpec.from_filename(source)
    state = load_state_dict(source)
    weights = {k.removeprefix("module."): v for k, v in state.items()}
    try:
        model = build_onnx(weights, spec)
    except (MiniFASNetImportError, StateDictError) as exc:
        raise MiniFASNetImportError(f"{source}: {exc}") from None
    except Exception as exc:  # the onnx checker's own errors
        raise MiniFASNetImportError(f"{source}: the rebuilt graph is invalid ({exc})") from None
    target_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = target_dir / f"{spec.name}.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    meta = {
        "name": spec.name,
        "architecture": spec.architecture,
        "scale": spec.scale,
        "input": [spec.height, spec.width],
        "real_class": REAL_CLASS,
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    (target_dir / f"{spec.name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return onnx_path
