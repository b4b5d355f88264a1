"""Minimal safetensors reader/writer with numpy (no safetensors package).

Layout: u64 little-endian header length N, N bytes of JSON header, raw data.
The header maps tensor name -> {dtype, shape, data_offsets:[begin,end]}
(offsets relative to the start of the data section), plus optional
"__metadata__" (str -> str). Keys are written sorted; the header is padded
with spaces to a multiple of 8 bytes.
"""
import json
import struct

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16",
           np.dtype("int64"): "I64", np.dtype("int32"): "I32"}
_NP = {v: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        if arr.dtype not in _DTYPES:
            raise ValueError(f"unsupported dtype {arr.dtype} for {name}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load_file(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dt = _NP[info["dtype"]].newbyteorder("<")
        out[name] = np.frombuffer(buf[base + b:base + e], dtype=dt).reshape(info["shape"]).copy()
    return out
