"""Checkpoints in the Swift tool's format (Sources/Train/{Checkpoint,SafeTensors,Optimizer}.swift).

``<name>.safetensors``: the U-Net's state_dict under PyTorch names (float32, BatchNorm's
``num_batches_tracked`` int64), tensors in name order, header padded with spaces to 8
bytes, metadata ``{"format": "pt", "batvision": <CheckpointInfo JSON>, "epoch": "N"}``.
``<name>.optim.safetensors``: ``<param>.exp_avg`` / ``<param>.exp_avg_sq`` per parameter
(Adam, AdamW; none for SGD) and metadata ``optimizer``, ``step``, ``learning_rate``,
``weight_decay``. Readable with ``safetensors.torch.load_file``; written here with numpy
only (no dependency on the safetensors package).

CheckpointInfo is Swift Codable JSON with sorted keys: ``format``
("batvision-checkpoint-1"), ``epoch``, ``runName``, ``model`` (UNetConfig: inputChannels,
outputChannels, numDowns, ngf, depthNorm), ``feature`` (FeatureConfig: dataset,
audioFormat, maxDepth when set, depthNorm, imagesSize, preprocess), ``manifestDigest``,
``settings`` (string -> string), ``metrics`` and ``trainLoss`` when known. Non-finite
numbers are the strings "inf", "-inf", "nan" (Swift's convertToString strategy).
"""
import json
import math
import os
import struct

import numpy as np

FORMAT = "batvision-checkpoint-1"

_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.float64): "F64",
          np.dtype(np.float16): "F16", np.dtype(np.int32): "I32"}


# ----------------------------------------------------------------------------- JSON
def _finite(x):
    """Replaces non-finite floats by Swift's strings, recursively."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if x != x else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _unfinite(x):
    if isinstance(x, str) and x in ("inf", "-inf", "nan"):
        return float(x)
    if isinstance(x, dict):
        return {k: _unfinite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unfinite(v) for v in x]
    return x


def dumps(obj):
    """JSON as the Swift tool's encoder writes it: sorted keys, compact, "inf" strings."""
    return json.dumps(_finite(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def loads_metrics(d):
    return None if d is None else {k: float(_unfinite(v)) for k, v in d.items()}


# ----------------------------------------------------------------------------- safetensors
def write_safetensors(tensors, path, metadata=None):
    """tensors: name -> numpy array (or torch tensor). Atomic (written beside, renamed)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors):
        arr = tensors[name]
        if hasattr(arr, "detach"):
            arr = arr.detach().cpu().numpy()
        arr = np.asarray(arr, order="C")  # keeps 0-d (ascontiguousarray would make it 1-d)
        if arr.dtype not in _NAMES:
            raise TypeError(f"{name}: dtype {arr.dtype} not supported")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"data_offsets": [offset, offset + len(raw)], "dtype": _NAMES[arr.dtype],
                        "shape": list(arr.shape)}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """(tensors as numpy arrays by name, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, e in header.items():
        dt = np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<")
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[base + a:base + b], dtype=dt).astype(dt.newbyteorder("="), copy=True) \
            .reshape(e["shape"])
    return out, meta


# ----------------------------------------------------------------------------- checkpoints
def optimizer_path(path):
    """``checkpoint_3.safetensors`` -> ``checkpoint_3.optim.safetensors``."""
    root, _ = os.path.splitext(path)
    return root + ".optim.safetensors"


def make_info(epoch, run_name, model, feature, manifest_digest, settings, metrics=None, train_loss=None):
    info = {"format": FORMAT, "epoch": int(epoch), "runName": run_name, "model": dict(model),
            "feature": dict(feature), "manifestDigest": manifest_digest,
            "settings": {str(k): str(v) for k, v in settings.items()}}
    if metrics is not None:
        info["metrics"] = {k: float(v) for k, v in metrics.items()}
    if train_loss is not None:
        info["trainLoss"] = float(train_loss)
    return info


def state_dict_arrays(state_dict):
    """A torch state_dict as numpy: floats as float32, integers as int64, no ``module.``."""
    out = {}
    for k, v in state_dict.items():
        name = k[7:] if k.startswith("module.") else k
        a = v.detach().cpu()
        a = a.float() if a.is_floating_point() else a.long()
        out[name] = a.numpy()
    return out


def save_checkpoint(path, state_dict, info, optimizer_state=None):
    """Writes the model (and, given ``optimizer_state`` = (tensors, metadata), the
    optimiser file beside it)."""
    meta = {"format": "pt", "batvision": dumps(info), "epoch": str(int(info["epoch"]))}
    write_safetensors(state_dict_arrays(state_dict), path, meta)
    if optimizer_state is not None:
        tensors, m = optimizer_state
        write_safetensors(tensors, optimizer_path(path), m)


def read_checkpoint(path):
    """(tensors by name, CheckpointInfo dict or None for a converted PyTorch checkpoint)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    tensors, meta = read_safetensors(path)
    info = None
    if "batvision" in meta:
        info = json.loads(meta["batvision"])
        if "metrics" in info:
            info["metrics"] = loads_metrics(info["metrics"])
        if "trainLoss" in info:
            info["trainLoss"] = float(_unfinite(info["trainLoss"]))
    return tensors, info


# ----------------------------------------------------------------------------- optimiser
def optimizer_state(optimizer, named_parameters, kind, learning_rate, weight_decay):
    """A torch Adam/AdamW/SGD optimiser as the Swift tool's optimiser file: moments by
    parameter name, metadata kind, step, learning_rate, weight_decay."""
    tensors = {}
    step = 0
    for name, p in named_parameters:
        st = optimizer.state.get(p, {})
        if kind == "SGD":
            continue
        if "exp_avg" in st:
            tensors[name + ".exp_avg"] = st["exp_avg"].detach().float().cpu().numpy()
            tensors[name + ".exp_avg_sq"] = st["exp_avg_sq"].detach().float().cpu().numpy()
            step = int(float(st["step"]))
        else:
            z = np.zeros(tuple(p.shape), np.float32)
            tensors[name + ".exp_avg"], tensors[name + ".exp_avg_sq"] = z, z.copy()
    if kind == "SGD":
        step = int(getattr(optimizer, "_batvision_steps", 0))
    meta = {"optimizer": kind, "step": str(step), "learning_rate": repr(float(learning_rate)),
            "weight_decay": repr(float(weight_decay))}
    return tensors, meta


def load_optimizer_state(optimizer, named_parameters, kind, path):
    """Loads the Swift tool's optimiser file into a torch optimiser (same kind)."""
    import torch
    tensors, meta = read_safetensors(path)
    if meta.get("optimizer") != kind:
        raise ValueError(f"{path}: optimiser state is for {meta.get('optimizer', '?')}, this run uses {kind}")
    if "step" not in meta:
        raise ValueError(f"{path}: optimiser state lacks its step count")
    step = int(meta["step"])
    optimizer._batvision_steps = step
    if kind == "SGD":
        return step
    for name, p in named_parameters:
        m, v = tensors.get(name + ".exp_avg"), tensors.get(name + ".exp_avg_sq")
        if m is None or v is None or tuple(m.shape) != tuple(p.shape):
            raise ValueError(f"{path}: optimiser state lacks {name}.exp_avg/.exp_avg_sq {tuple(p.shape)}")
        optimizer.state[p] = {
            "step": torch.tensor(float(step), dtype=torch.float32),
            "exp_avg": torch.from_numpy(m.copy()).to(p.device, p.dtype),
            "exp_avg_sq": torch.from_numpy(v.copy()).to(p.device, p.dtype),
        }
    return step
