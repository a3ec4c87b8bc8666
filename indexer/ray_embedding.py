"""Passage embedding on a Ray cluster (``vanban index --ray``), through Ray actors.

Only the model calls move to the cluster: the indexer still reads, parses and
chunks here, and writes each batch of vectors into its embedding cache as soon
as it comes back, so per-file errors, snapshots and resuming work as without
Ray. The worker actors start on the run's first embedding round and live until
the run ends (``close``), so each loads the passage model once per run, however
many rounds the indexer flushes; a round that stops midway (an error, Ctrl-C)
kills them, as does ``close``, and a killed driver takes them with it (Ray ends
the actors of a driver that is gone). Each loads the model from its own node's
installation (``pip install 'vanban[ray]'`` on every node), with the settings
that decide the vectors (engine, dtype) taken from this machine; the batches it
returns carry its model's key, and one that differs from this machine's stops
the run before any of its vectors is kept. This machine never loads the model:
its key is read from the converted model's files.

Ray is an optional extra: it is imported here, inside functions, and nowhere else.
"""

from __future__ import annotations

import json
import logging
import socket
from collections import deque
from dataclasses import fields
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from indexer.build import DEFAULT_MODEL_BATCH, ModelMismatchError, model_key

if TYPE_CHECKING:
    from search_api.settings import Settings

# Settings a worker takes from the driver rather than from its own environment.
SHARED_SETTINGS = ("model_dtype", "passage_engine")
# Passages gathered before each embedding round on the cluster. The workers outlive
# a round, but each round ends with the cluster idle while the last batches finish
# and the indexer writes, so rounds are still made much larger than the local flush.
DEFAULT_RAY_FLUSH = 16384
# Batches queued on each worker: the next one is there when it finishes one.
BATCHES_PER_WORKER = 2
INSTALL_HINT = "pip install 'vanban[ray]'"


class RayError(RuntimeError):
    """Ray missing, the cluster out of reach or failing: the run stops, the index stays as it was."""


class RayModelMismatchError(ModelMismatchError):
    pass


def import_ray():
    try:
        import ray
    except ImportError as exc:
        raise RayError(f"--ray cần thư viện Ray, chưa được cài: chạy {INSTALL_HINT} ({exc})") from exc
    return ray


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
        self.key = json.dumps(model_key(self.encoder), sort_keys=True)

    def encode(self, rows: list[int], texts: list[str]) -> tuple[list[int], np.ndarray, str]:
        """(rows, their vectors, this worker's model key) for one model batch."""
        return rows, np.asarray(self.encoder.encode_passages(texts), dtype=np.float32), self.key


class RayPassageEncoder:
    """A passage encoder whose model calls run on a Ray cluster.

    ``address``: "auto" (a cluster this machine already belongs to, found as Ray
    finds it: ``RAY_ADDRESS`` or the local ``ray start``), "HOST:PORT" or
    "ray://HOST:PORT". ``workers``: model actors (default one per node);
    ``cpus_per_worker``: the CPUs (and torch threads) each reserves (default: what
    a node of the smallest kind can give each of them). Dimension and model info
    are this machine's (``local``, never loaded here): the workers must match them.
    The workers are started by the first ``encode_stream`` and kept for the next
    ones until ``close``, which the owner of the encoder calls once its run ends.
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
        self._actors: list = []

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
        nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1]
        if not nodes:
            self.close()
            raise RayError(f"Cụm Ray tại {self.address!r} không có máy nào có CPU để nhúng")
        cpus = [int(n["Resources"]["CPU"]) for n in nodes]
        workers = self._workers or len(nodes)
        if self._cpus is None:
            self._cpus = max(1, min(min(cpus), sum(cpus) // workers))
        fit = sum(c // self._cpus for c in cpus)
        if workers > fit:  # the actors that do not fit would wait for CPUs forever
            self.close()
            raise RayError(f"Cụm Ray tại {self.address!r} chỉ chạy được {fit} tiến trình nhúng × {self._cpus} CPU "
                           f"({len(nodes)} máy, {sum(cpus)} CPU), không phải {workers}")
        self._workers = workers
        self._ray = ray
        self._progress(f"cụm Ray {self.address}: {len(nodes)} máy, {sum(cpus)} CPU; "
                       f"{workers} tiến trình nhúng × {self._cpus} CPU")
        return ray

    def close(self) -> None:
        """End the workers, and the connection if this encoder opened it."""
        self._stop_workers()
        if self._connected_here:
            import ray

            ray.shutdown()
            self._connected_here = False
        self._ray = None

    def _start_workers(self, ray) -> list:
        if not self._actors:
            worker = ray.remote(PassageWorker).options(
                num_cpus=self._cpus,
                scheduling_strategy="SPREAD",  # one per node while nodes are free, as the default count assumes
            )
            self._actors = [worker.remote(self._shared, self._cpus) for _ in range(self._workers)]
        return self._actors

    def _stop_workers(self) -> None:
        actors, self._actors = self._actors, []
        if not actors:
            return
        import ray

        if not ray.is_initialized():  # the connection is gone, and its actors with it
            return
        for actor in actors:
            try:
                ray.kill(actor)
            except Exception:  # already dead, or the cluster gone: nothing left to end
                pass

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
        gives the model, so both compute the same vectors. A worker that finishes a
        batch gets the next one waiting, so faster nodes take more of them. A stream
        left before its end kills the workers, which may still be busy with its
        batches; the next round starts new ones."""
        if not texts:
            return
        ray = self.connect()
        expected = json.dumps(model_key(self), sort_keys=True)
        waiting = deque(list(range(s, min(s + batch_size, len(texts)))) for s in range(0, len(texts), batch_size))
        running: dict = {}  # result ref -> the worker computing it
        finished = False

        def send(actor) -> None:
            rows = waiting.popleft()
            running[actor.encode.remote(rows, [texts[i] for i in rows])] = actor

        try:
            for actor in self._start_workers(ray) * BATCHES_PER_WORKER:
                if waiting:
                    send(actor)
            while running:
                [ref], _ = ray.wait(list(running), num_returns=1)
                actor = running.pop(ref)
                rows, vectors, key = ray.get(ref)
                if key != expected:
                    raise RayModelMismatchError(
                        "Một máy trong cụm Ray dùng mô hình nhúng khác máy này "
                        f"(máy này: {expected}; máy kia: {key}); "
                        f"cài cùng một phiên bản vanban và mô hình trên mọi máy ({INSTALL_HINT})"
                    )
                if waiting:
                    send(actor)
                # A copy, so that the object store can free the batch now.
                yield rows, np.array(vectors, dtype=np.float32)
            finished = True
        except (RayError, ModelMismatchError):
            raise
        except Exception as exc:
            if not isinstance(exc, ray.exceptions.RayError):
                raise
            raise RayError(f"Cụm Ray không nhúng được các đoạn: {type(exc).__name__}: {exc}") from exc
        finally:
            if not finished:
                self._stop_workers()


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
