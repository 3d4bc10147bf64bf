"""`harness data prepare fineweb-edu`: documents → GPT-2 tokens → llm.c `.bin` shards in
`ROOT/fineweb_edu/` (the first shard is val, as in llm.c's and modded-nanogpt's fineweb.py).

Documents come from the Hugging Face dataset by streaming (`datasets`, needs internet), or,
for offline nodes, from local files (`--source`): the dataset's own `.parquet` files (a
`text` column), `.jsonl` (a `text` field per line) or `.txt` (one document per file).
Each document is prefixed by the end-of-text token and tokenized in worker processes;
shards hold `shard_tokens` tokens, a document running on into the next shard.

Tokenizers: `gpt2` (tiktoken's; it caches its BPE file, so on an offline node set
TIKTOKEN_CACHE_DIR to a copied cache), a Hugging Face `tokenizer.json` path, or `bytes`
(UTF-8 bytes, vocabulary 256: a stand-in for tests and tiny local studies).

Resumable: a shard is written under a temporary name and renamed; `.prepare.json` records
after each shard how many documents it consumed, so a restart skips them. Idempotent: once
`tokens` are written, a second call does nothing.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .images import DataError
from .tokens import shard_header

MANIFEST = ".prepare.json"
HF_DATASET = "HuggingFaceFW/fineweb-edu"
GPT2_EOT = 50256


def documents(source: str | Path | None, name: str) -> Iterator[str]:
    if source is None:
        try:
            from datasets import load_dataset
        except ImportError:
            raise DataError("streaming FineWeb-Edu needs `pip install datasets` (or give "
                            "--source with its downloaded .parquet files)") from None
        for doc in load_dataset(HF_DATASET, name=name, split="train", streaming=True):
            yield doc["text"]
        return
    files = sorted(p for p in Path(source).rglob("*") if p.suffix in (".parquet", ".jsonl",
                                                                      ".txt"))
    if not files:
        raise DataError(f"{source}: no .parquet, .jsonl or .txt documents")
    for path in files:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(columns=["text"]):
                yield from batch.column(0).to_pylist()
        elif path.suffix == ".jsonl":
            with open(path) as f:
                yield from (json.loads(line)["text"] for line in f if line.strip())
        else:
            yield path.read_text()


class Tokenizer:
    """text → uint16 tokens with the end-of-text token first; picklable (built lazily in each
    worker process)."""

    def __init__(self, spec: str):
        self.spec, self._encode, self.eot = spec, None, GPT2_EOT
        if spec == "bytes":
            self.eot = 0  # NUL: never in text
        elif spec != "gpt2" and not Path(spec).is_file():
            raise DataError(f"tokenizer {spec!r}: allowed: gpt2, bytes, or a tokenizer.json path")

    def _load(self):
        if self.spec == "bytes":
            return lambda text: list(text.encode("utf-8"))
        if self.spec == "gpt2":
            try:
                import tiktoken
            except ImportError:
                raise DataError("tokenizer gpt2 needs `pip install tiktoken`") from None
            enc = tiktoken.get_encoding("gpt2")
            return lambda text: enc.encode_ordinary(text)
        from tokenizers import Tokenizer as HFTokenizer

        tok = HFTokenizer.from_file(self.spec)
        eot = next((tok.token_to_id(t) for t in ("<|endoftext|>", "</s>", "<eos>")
                    if tok.token_to_id(t) is not None), None)
        if eot is None:
            raise DataError(f"tokenizer {self.spec}: no end-of-text token (<|endoftext|>, "
                            "</s> or <eos>) to separate documents with")
        self.eot = eot
        return lambda text: tok.encode(text, add_special_tokens=False).ids

    def __call__(self, text: str) -> np.ndarray:
        if self._encode is None:
            self._encode = self._load()
        tokens = np.array([self.eot, *self._encode(text)], dtype=np.int64)
        if tokens.max(initial=0) >= 2**16:
            raise DataError(f"tokenizer {self.spec}: token id {tokens.max()} does not fit uint16")
        return tokens.astype(np.uint16)


_tokenizer: Tokenizer | None = None  # one per worker process, loaded once


def _start_worker(spec: str) -> None:
    global _tokenizer
    _tokenizer = Tokenizer(spec)


def _tokenize(text: str) -> np.ndarray:
    return _tokenizer(text)


def write_shard(path: Path, tokens: np.ndarray) -> None:
    """One llm.c shard: 256 int32 header (magic, version, count), then uint16 tokens;
    written to a temporary name and renamed, so a shard on disk is always whole."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as f:
        f.write(shard_header(len(tokens)))
        f.write(tokens.astype(np.uint16).tobytes())
    os.replace(partial, path)


def shard_name(index: int, prefix: str = "fineweb_edu") -> str:
    return f"{prefix}_{'val' if index == 0 else 'train'}_{index:06d}.bin"


def prepare_fineweb(root: str | Path, tokens: int, source: str | Path | None = None,
                    tokenizer: str = "gpt2", name: str = "sample-10BT",
                    shard_tokens: int = 100_000_000, workers: int | None = None) -> dict:
    """Write shards into `root/fineweb_edu/` until `tokens` tokens (val shard included)."""
    out = Path(root) / "fineweb_edu"
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    if tokens <= shard_tokens:
        raise DataError(f"--tokens {tokens:,} fills only the val shard ({shard_tokens:,} "
                        "tokens): ask for more, or a smaller --shard-tokens")
    settings = {"source": str(source) if source else f"{HF_DATASET}/{name}",
                "tokenizer": tokenizer, "shard_tokens": shard_tokens}
    state = json.loads(manifest_path.read_text()) if manifest_path.is_file() else \
        {**settings, "shards": [], "documents": 0, "carry": 0, "tokens": 0}
    changed = {k: (state.get(k), v) for k, v in settings.items() if state.get(k) != v}
    if changed:  # resuming would append other tokens, or skip documents of another source
        raise DataError(f"{out}: prepared with " + ", ".join(
            f"{k} {old!r} (now {new!r})" for k, (old, new) in changed.items())
            + f"; use another --dest or delete {out}")
    if state["tokens"] >= tokens:
        return state | {"already_prepared": True}
    Tokenizer(tokenizer)  # a bad spec fails here, before any worker starts
    docs = itertools.islice(documents(source, name), state["documents"], None)
    buffer, filled = np.empty(shard_tokens, dtype=np.uint16), 0
    consumed, skip = state["documents"], state["carry"]  # tokens of the next doc already out
    processes = workers or max(1, (os.cpu_count() or 2) - 1)
    pool = multiprocessing.get_context("spawn").Pool(processes, _start_worker, (tokenizer,))
    with pool:
        for doc in pool.imap(_tokenize, docs, chunksize=16):
            pos, skip = skip, 0
            while pos < len(doc) and state["tokens"] < tokens:
                take = min(len(doc) - pos, shard_tokens - filled,
                           tokens - state["tokens"] - filled)
                buffer[filled:filled + take] = doc[pos:pos + take]
                filled, pos = filled + take, pos + take
                if filled == shard_tokens or state["tokens"] + filled >= tokens:
                    whole = pos == len(doc)  # else the next shard starts inside this doc
                    _finish_shard(out, state, buffer[:filled], consumed + whole,
                                  0 if whole else pos)
                    filled = 0
            consumed += 1
            if state["tokens"] >= tokens:
                break
    if filled:  # the documents ran out first
        _finish_shard(out, state, buffer[:filled], consumed, 0)
    manifest_path.write_text(json.dumps(state, indent=2) + "\n")
    return state


def _finish_shard(out: Path, state: dict, tokens: np.ndarray, documents: int,
                  carry: int) -> None:
    """Write the next shard and record where the documents stand after it: `documents`
    wholly written, and `carry` tokens of the next one (a restart re-tokenizes it and drops
    those)."""
    name = shard_name(len(state["shards"]))
    write_shard(out / name, tokens)
    state["shards"].append(name)
    state["tokens"] += len(tokens)
    state["documents"], state["carry"] = documents, carry
    (out / MANIFEST).write_text(json.dumps(state, indent=2) + "\n")
