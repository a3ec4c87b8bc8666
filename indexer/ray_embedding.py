"""Passage embedding on a Ray cluster (``vanban index --ray``), through Ray Data.

Only the model calls move to the cluster: the indexer still reads, parses and
chunks here, and writes each batch of vectors into its embedding cache as soon
as it comes back, so per-file errors, snapshots and resuming work as without
Ray. Each worker actor loads the passage model once, from its own node's
installation (``pip install 'vanban[ray]'`` on every node), with the settings
that decide the vectors (engine, dtype) taken from this machine; the batches it
returns carry its model's key, and one that differs from this machine's stops
the run before any of its vectors is kept.

Ray is an optional extra: it is imported here, inside functions, and nowhere else.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import fields
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from indexer.build import DEFAULT_MODEL_BATCH, ModelMismatchError

if TYPE_CHECKING:
    from search_api.settings import Settings

# What must be the same on every worker as here for its vectors to belong in this index.
MODEL_KEY_FIELDS = ("name", "dim", "source_sha256", "engine")
# Settings a worker takes from the driver rather than from its own environment.
SHARED_SETTINGS = ("model_dtype", "passage_engine")
# Passages gathered before each embedding round on the cluster: every round is a new
# Ray dataset whose actors start and load the model again (seconds), so rounds are
# made much larger than the local flush.
DEFAULT_RAY_FLUSH = 16384
INSTALL_HINT = "pip install 'vanban[ray]'"


class RayError(RuntimeError):
    """Ray missing, the cluster out of reach or failing: the run stops, the index stays as it was."""


class RayModelMismatchError(ModelMismatchError):
    pass


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the extra installs both; a bare ``ray`` lacks Ray Data)
    except ImportError as exc:
        raise RayError(f"--ray cần thư viện Ray (Ray Data), chưa được cài: chạy {INSTALL_HINT} ({exc})") from exc
    return ray


def model_key(info: dict, dim: int) -> dict:
    key = {name: info.get(name) for name in MODEL_KEY_FIELDS}
    key["dim"] = int(dim)
    return key


def shared_settings(settings: "Settings") -> dict:
    return {name: getattr(settings, name) for name in SHARED_SETTINGS if getattr(settings, name, None) is not None}


class PassageWorker:
    """One Ray actor: the passage model, loaded once, encoding one batch per call."""

    def __init__(self, shared: dict, threads: int):
        from search_api.services import embedder
        from search_api.settings import Settings

        # A worker whose vanban lacks a shared setting cannot honour it; its model key
        # then tells the driver, which refuses its vectors.
        known = {f.name for f in fields(Settings)}
        settings = Settings.from_env(**{k: v for k, v in shared.items() if k in known})
        self.encoder = embedder(settings, threads)
        load = getattr(self.encoder, "load", None)
        if load is not None:
            load()
        self.key = json.dumps(model_key(self.encoder.model_info(), self.encoder.dim), sort_keys=True)

    def __call__(self, batch: dict) -> dict:
        rows = np.concatenate([np.asarray(r, dtype=np.int64) for r in batch["rows"]])
        texts = [str(t) for group in batch["texts"] for t in group]
        vectors = self.encoder.encode_passages(texts)
        return {"row": rows, "vector": np.asarray(vectors, dtype=np.float32), "model": np.array([self.key] * len(rows))}


class RayPassageEncoder:
    """A passage encoder whose model calls run on a Ray cluster.

    ``address``: "auto" (a cluster this machine already belongs to, found as Ray
    finds it: ``RAY_ADDRESS`` or the local ``ray start``), "HOST:PORT" or
    "ray://HOST:PORT". ``workers``: model actors (default one per node);
    ``cpus_per_worker``: the CPUs (and torch threads) each reserves (default: what
    a node of the smallest kind can give each of them). Dimension and model info
    are this machine's (``local``, never loaded here): the workers must match them.
    """

    def __init__(self, address: str, settings: "Settings", workers: int | None = None,
                 cpus_per_worker: int | None = None, batch_size: int = DEFAULT_MODEL_BATCH,
                 flush_chunks: int = DEFAULT_RAY_FLUSH, local=None, progress=None):
        if workers is not None and workers < 1:
            raise RayError("Số tiến trình nhúng trên cụm Ray (--ray-workers) phải lớn hơn 0")
        if local is None:
            from search_api.services import embedder

            local = embedder(settings, 1)
        self.address = address
        self.batch_size = batch_size
        self.flush_chunks = flush_chunks
        self._local = local
        self._shared = shared_settings(settings)
        self._workers = workers
        self._cpus = cpus_per_worker
        self._progress = progress or (lambda message: None)
        self._ray = None
        self._connected_here = False

    @property
    def dim(self) -> int:
        return self._local.dim

    def model_info(self) -> dict:
        return self._local.model_info()

    # -- the cluster -----------------------------------------------------------

    def connect(self):
        """Join the cluster (once); an unreachable one is a ``RayError`` raised before any indexing."""
        if self._ray is not None:
            return self._ray
        ray = import_ray()
        if not ray.is_initialized():
            check_reachable(self.address)
            try:
                ray.init(address=self.address, logging_level=logging.WARNING)
            except Exception as exc:  # ConnectionError, a bad address, a version mismatch, …
                raise RayError(f"Không kết nối được cụm Ray tại {self.address!r}: {exc}") from exc
            self._connected_here = True
        _quiet_data(ray)
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1]
        if not nodes:
            self.close()
            raise RayError(f"Cụm Ray tại {self.address!r} không có máy nào có CPU để nhúng")
        cpus = [int(n["Resources"]["CPU"]) for n in nodes]
        workers = self._workers or len(nodes)
        if self._cpus is None:
            self._cpus = max(1, min(min(cpus), sum(cpus) // workers))
        fit = sum(c // self._cpus for c in cpus)
        if workers > fit:  # Ray Data would wait for the missing actors forever
            self.close()
            raise RayError(f"Cụm Ray tại {self.address!r} chỉ chạy được {fit} tiến trình nhúng × {self._cpus} CPU "
                           f"({len(nodes)} máy, {sum(cpus)} CPU), không phải {workers}")
        self._workers = workers
        self._ray = ray
        self._progress(f"cụm Ray {self.address}: {len(nodes)} máy, {sum(cpus)} CPU; "
                       f"{workers} tiến trình nhúng × {self._cpus} CPU")
        return ray

    def close(self) -> None:
        if self._connected_here:
            import ray

            ray.shutdown()
            self._connected_here = False
        self._ray = None

    # -- encoding --------------------------------------------------------------

    def encode_passages(self, passages: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = list(passages)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows, vectors in self.encode_stream(texts, self.batch_size):
            out[rows] = vectors
        return out

    def encode_stream(self, texts: list[str], batch_size: int) -> Iterator[tuple[list[int], np.ndarray]]:
        """(rows of ``texts``, their vectors) per model batch, as the workers finish them.

        Each model call gets exactly one batch of consecutive rows, as the local loop
        gives the model, so both compute the same vectors."""
        if not texts:
            return
        ray = self.connect()
        expected = json.dumps(model_key(self.model_info(), self.dim), sort_keys=True)
        groups = [list(range(s, min(s + batch_size, len(texts)))) for s in range(0, len(texts), batch_size)]
        items = [{"rows": rows, "texts": [texts[i] for i in rows]} for rows in groups]
        workers = min(self._workers, len(items))
        try:
            ds = ray.data.from_items(items, override_num_blocks=len(items))
            ds = ds.map_batches(
                PassageWorker,
                fn_constructor_kwargs={"shared": self._shared, "threads": self._cpus},
                batch_size=1,  # one item is one model batch
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),  # Ray Data spreads them over the nodes
                num_cpus=self._cpus,
            )
            for out in ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
                keys = set(out["model"].tolist())
                if keys != {expected}:
                    raise RayModelMismatchError(
                        "Một máy trong cụm Ray dùng mô hình nhúng khác máy này "
                        f"(máy này: {expected}; máy kia: {', '.join(sorted(keys - {expected}))}); "
                        f"cài cùng một phiên bản vanban và mô hình trên mọi máy ({INSTALL_HINT})"
                    )
                yield out["row"].tolist(), np.asarray(out["vector"], dtype=np.float32)
        except (RayError, ModelMismatchError):
            raise
        except Exception as exc:
            if not isinstance(exc, ray.exceptions.RayError):
                raise
            raise RayError(f"Cụm Ray không nhúng được các đoạn: {type(exc).__name__}: {exc}") from exc


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail in seconds on a head that is not there (a wrong address, a stale "auto"
    left by a cluster that has stopped): Ray itself keeps retrying one for about
    a quarter of an hour. The address checked is the one Ray will dial: "auto"
    resolved, and this machine's own name for localhost, as Ray does."""
    try:
        target = dial_address(address)
        if target is None:
            return
    except ConnectionError as exc:  # "auto" and no cluster here
        raise RayError(f"Không tìm thấy cụm Ray nào trên máy này ({address!r}): {exc}") from exc
    except ValueError as exc:
        raise RayError(f"Địa chỉ cụm Ray {address!r} không hợp lệ: cần auto, HOST:PORT hoặc ray://HOST:PORT") from exc
    host, sep, port = target.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise RayError(f"Địa chỉ cụm Ray {address!r} không hợp lệ: cần auto, HOST:PORT hoặc ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        shown = address if target == address else f"{address} ({target})"
        raise RayError(f"Không kết nối được cụm Ray tại {shown}: {exc}") from exc


def dial_address(address: str) -> str | None:
    """HOST:PORT that ``ray.init(address)`` will connect to; None where that cannot be told."""
    if address.startswith("ray://"):  # Ray Client: its server's address, taken as it is
        return address.removeprefix("ray://").split("/", 1)[0]
    try:  # Ray's own resolution (not a public API; the extra pins Ray's version)
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:
        return None if address == "auto" else address
    target = canonicalize_bootstrap_address(address)
    if target is None:
        raise ValueError(address)
    return target


def _quiet_data(ray) -> None:
    """No progress bars or per-dataset banners among the indexer's own progress lines."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled"
