"""Read a PyTorch state dict (``torch.save`` file) into numpy arrays, without torch.

Both formats ``torch.save`` has written are read: the zip archive (PyTorch >= 1.6:
``archive/data.pkl`` plus one file per storage under ``archive/data/``) and the legacy stream
(magic number, protocol version and system info pickles, the state-dict pickle, the list of
storage keys, then each storage as an 8-byte element count and its raw little-endian bytes).

The unpickler only resolves the handful of globals a state dict needs (``OrderedDict``,
``torch._utils._rebuild_tensor_v2``, the ``torch.*Storage`` types); anything else in the
file raises :class:`StateDictError` instead of running code from a file the site supplied.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class StateDictError(ValueError):
    """The file is not a PyTorch state dict this reader understands; the message says why."""


@dataclass
class _Storage:
    key: str
    dtype: np.dtype[Any]
    numel: int
    data: npt.NDArray[Any] | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> npt.NDArray[Any]:
        if self.storage.data is None:
            raise StateDictError(f"storage {self.storage.key} has no data")
        data = self.storage.data
        if not self.size:
            return data[self.offset].copy()
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :],
            shape=self.size,
            strides=tuple(s * item for s in self.stride),
            writeable=False,
        )
        return np.array(view)


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise StateDictError(f"unexpected object {module}.{name} in a state dict")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise StateDictError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid[:5]
        if not isinstance(storage_type, _StorageType):
            raise StateDictError(f"unexpected storage type {storage_type!r}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(key, storage_type.dtype, int(numel))
        return self.storages[key]


def load_state_dict(path: str | Path) -> dict[str, npt.NDArray[Any]]:
    """The tensors of a ``torch.save``d state dict as numpy arrays, by name."""
    path = Path(path)
    if not path.is_file():
        raise StateDictError(f"{path}: no such file")
    try:
        if zipfile.is_zipfile(path):
            refs = _load_zip(path)
        else:
            with path.open("rb") as file:
                refs = _load_legacy(file)
    except StateDictError as exc:
        raise StateDictError(f"{path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, struct.error, KeyError, ValueError) as exc:
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({exc})") from None
    if isinstance(refs, dict) and isinstance(refs.get("state_dict"), dict):
        refs = refs["state_dict"]
    if not isinstance(refs, dict) or not all(isinstance(v, _TensorRef) for v in refs.values()):
        raise StateDictError(f"{path}: does not hold a flat state dict of tensors")
    return {str(k): v.array() for k, v in refs.items()}


def _load_legacy(file: BinaryIO) -> Any:
    if pickle.load(file) != LEGACY_MAGIC:  # plain ints: safe to unpickle
        raise StateDictError("not a PyTorch file (bad magic number)")
    if pickle.load(file) != 1001:
        raise StateDictError("unsupported PyTorch file protocol")
    info = pickle.load(file)
    if not isinstance(info, dict) or not info.get("little_endian", False):
        raise StateDictError("only little-endian PyTorch files are supported")
    storages: dict[str, _Storage] = {}
    result = _Unpickler(file, storages).load()
    keys = pickle.load(file)
    for key in keys:
        storage = storages[str(key)]
        (count,) = struct.unpack("<q", file.read(8))
        raw = file.read(count * storage.dtype.itemsize)
        if len(raw) != count * storage.dtype.itemsize:
            raise StateDictError(f"storage {key} is truncated")
        storage.data = np.frombuffer(raw, storage.dtype)
    return result


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise StateDictError("zip archive without data.pkl")
        prefix = pkl[: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        result = _Unpickler(io.BytesIO(archive.read(pkl)), storages).load()
        for key, storage in storages.items():
            raw = archive.read(f"{prefix}data/{key}")
            storage.data = np.frombuffer(raw, storage.dtype)
    return result
