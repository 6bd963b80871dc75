"""Convert Resemblyzer's speaker encoder (a PyTorch checkpoint in its PyPI wheel) to the numpy arrays audit.voice reads.

    pip download resemblyzer==0.1.4 --no-deps -d /tmp/rz
    .venv/bin/python scripts/convert_voice_encoder.py /tmp/rz/Resemblyzer-0.1.4-py3-none-any.whl

Run once, by a developer; its output (audit/voice_model/encoder.npz, PROVENANCE.json, LICENSE) ships in the package,
so the auditor neither downloads anything nor needs PyTorch. The checkpoint is PyTorch's legacy serialisation (three
small pickles, the state pickle whose tensors refer to storages by key, a pickle of the storage keys, then each
storage as an int64 element count and its raw little-endian floats); a restricted unpickler reads it without torch
and without running any code from the file. Only the model weights are kept (not the optimiser state), as float16.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pickle
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parent.parent / "audit" / "voice_model"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
WHEEL_MEMBER = "resemblyzer/pretrained.pt"
LICENSE_MEMBER = "Resemblyzer-0.1.4.dist-info/LICENSE"
WEIGHTS = ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
           "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
           "lstm.weight_ih_l2", "lstm.weight_hh_l2", "lstm.bias_ih_l2", "lstm.bias_hh_l2",
           "linear.weight", "linear.bias"]


class _TensorRef:
    """A tensor as the state pickle describes it: a view into a storage that is read after the pickle."""

    def __init__(self, storage_key: str, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]):
        self.storage_key, self.offset, self.shape, self.stride = storage_key, offset, shape, stride


def _rebuild_tensor_v2(storage, offset, shape, stride, *_):
    return _TensorRef(storage, offset, tuple(shape), tuple(stride))


class _StateUnpickler(pickle.Unpickler):
    """Knows exactly the names a float32 checkpoint uses; anything else is refused rather than imported."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if (module, name) == ("torch", "FloatStorage"):
            return "float32"
        raise pickle.UnpicklingError(f"unexpected class in the checkpoint: {module}.{name}")

    def persistent_load(self, pid):
        kind, dtype, key, _location, _size, _view = pid
        if kind != "storage" or dtype != "float32":
            raise pickle.UnpicklingError(f"unexpected storage in the checkpoint: {pid!r}")
        return key


def read_legacy_checkpoint(data: bytes) -> dict[str, np.ndarray]:
    """The model weights of a legacy-format PyTorch checkpoint, by their state-dict names."""
    stream = io.BytesIO(data)
    if pickle.load(stream) != LEGACY_MAGIC:
        raise ValueError("not a legacy PyTorch checkpoint (magic number differs)")
    pickle.load(stream)  # protocol version
    sys_info = pickle.load(stream)
    if not sys_info.get("little_endian", False):
        raise ValueError("checkpoint written big-endian")
    state = _StateUnpickler(stream).load()
    storages: dict[str, np.ndarray] = {}
    for key in pickle.load(stream):
        count = int(np.frombuffer(stream.read(8), "<i8")[0])
        storages[key] = np.frombuffer(stream.read(4 * count), "<f4")
    weights = {}
    for name in WEIGHTS:
        ref = state["model_state"][name]
        flat = storages[ref.storage_key]
        weights[name] = np.lib.stride_tricks.as_strided(
            flat[ref.offset:], shape=ref.shape, strides=tuple(4 * s for s in ref.stride)).copy()
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="Resemblyzer-0.1.4-py3-none-any.whl (pip download)")
    args = parser.parse_args()
    wheel_bytes = args.wheel.read_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as wheel:
        checkpoint = wheel.read(WHEEL_MEMBER)
        licence = wheel.read(LICENSE_MEMBER)
    weights = read_legacy_checkpoint(checkpoint)
    OUT_DIR.mkdir(exist_ok=True)
    np.savez_compressed(OUT_DIR / "encoder.npz", **{name.replace(".", "_"): w.astype(np.float16)
                                                    for name, w in weights.items()})
    (OUT_DIR / "LICENSE").write_bytes(licence)
    provenance = {
        "model": "GE2E speaker encoder (Wan et al. 2018) as trained by Resemblyzer (Corentin Jemine, Resemble AI)",
        "source": "https://pypi.org/project/Resemblyzer/0.1.4/",
        "wheel": args.wheel.name,
        "wheel_sha256": hashlib.sha256(wheel_bytes).hexdigest(),
        "checkpoint": WHEEL_MEMBER,
        "checkpoint_sha256": hashlib.sha256(checkpoint).hexdigest(),
        "licence": "Apache-2.0 (LICENSE, copied from the wheel)",
        "converted_by": "scripts/convert_voice_encoder.py: model weights only, float32 -> float16, optimiser state "
                        "dropped; arrays named as the state dict with '.' -> '_'",
        "shapes": {name: list(w.shape) for name, w in weights.items()},
    }
    (OUT_DIR / "PROVENANCE.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT_DIR / 'encoder.npz'} ({(OUT_DIR / 'encoder.npz').stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
