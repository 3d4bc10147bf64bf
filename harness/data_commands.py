"""`harness data prepare imagenet | fineweb-edu` and `harness data check`: the command line
over harness/data/prepare_imagenet, prepare_fineweb and check. Imports no torch until a
command runs. Errors are one line and exit 2."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    data = sub.add_parser("data", help="prepare datasets into a data root; check them "
                                       "against a sweep")
    verbs = data.add_subparsers(dest="data_command", required=True)
    prepare = verbs.add_parser("prepare", help="raw downloads -> the layout the loaders read")
    kinds = prepare.add_subparsers(dest="dataset", required=True)
    imagenet = kinds.add_parser("imagenet", help="ILSVRC-2012 archives or extracted folders "
                                "-> ROOT/imagenet/{train,val}/<wnid>/ (links where possible)")
    imagenet.add_argument("--source", required=True, help="folder holding the archives "
                          "(ILSVRC2012_img_{train,val}.tar + devkit or LOC_val_solutions.csv) "
                          "or the extracted train/ and val/")
    imagenet.add_argument("--dest", required=True, help="the data root (ROOT)")
    fineweb = kinds.add_parser("fineweb-edu", help="FineWeb-Edu -> GPT-2 tokens -> llm.c "
                               ".bin shards in ROOT/fineweb_edu/ (first shard = val)")
    fineweb.add_argument("--dest", required=True, help="the data root (ROOT)")
    fineweb.add_argument("--tokens", required=True, type=_count,
                         help="tokens to write, val shard included (e.g. 10B, 2e11)")
    fineweb.add_argument("--source", default=None, help="local .parquet/.jsonl/.txt documents "
                         "(default: stream the Hugging Face dataset; needs internet)")
    fineweb.add_argument("--name", default="sample-10BT",
                         help="the dataset's config when streaming (sample-10BT, "
                              "sample-100BT, sample-350BT)")
    fineweb.add_argument("--tokenizer", default="gpt2",
                         help="gpt2 (tiktoken), bytes, or a tokenizer.json path")
    fineweb.add_argument("--shard-tokens", type=_count, default=100_000_000,
                         help="tokens per shard (100M, as llm.c)")
    fineweb.add_argument("--workers", type=int, default=None,
                         help="tokenizing processes (default: CPUs − 1)")
    check = verbs.add_parser("check", help="count classes, images and tokens under the data "
                             "root against what every run of a sweep needs")
    check.add_argument("sweep", help="sweep YAML file")
    check.add_argument("--scale", default="paper", help="paper, mini or smoke (paper)")
    check.add_argument("--data-root", default=None, help="the data root ($WDLAB_DATA)")


def _count(text: str) -> int:
    """10B, 100M, 2e11, 1_000 -> an int."""
    units = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
    text = text.strip().replace("_", "")
    try:
        if text and text[-1].upper() in units:
            return int(float(text[:-1]) * units[text[-1].upper()])
        return int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (e.g. 10B, 2e11)") from None


def run(args) -> int:
    from .data.images import DataError

    try:
        if args.data_command == "prepare" and args.dataset == "imagenet":
            from .data.prepare_imagenet import prepare_imagenet

            counts = prepare_imagenet(args.source, args.dest)
            done = "already prepared" if counts.pop("already_prepared", False) else "prepared"
            print(f"{args.dest}/imagenet {done}: " + ", ".join(
                f"{split} {c['classes']} classes, {c['images']:,} images"
                for split, c in counts.items()))
            return 0
        if args.data_command == "prepare":
            from .data.prepare_fineweb import prepare_fineweb

            state = prepare_fineweb(args.dest, args.tokens, args.source, args.tokenizer,
                                    args.name, args.shard_tokens, args.workers)
            print(f"{args.dest}/fineweb_edu: {state['tokens']:,} tokens in "
                  f"{len(state['shards'])} shards")
            if state["tokens"] < args.tokens:
                print(f"error: the documents ran out before {args.tokens:,} tokens",
                      file=sys.stderr)
                return 2
            return 0
        return _check(args)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _check(args) -> int:
    from .data.check import check_runs
    from .sweep import expand, load_sweep

    sweep = load_sweep(args.sweep)
    runs = expand(sweep, args.scale)
    rows, problems = check_runs(runs, args.data_root, sweep.get("data_repeat", "refuse"))
    grouped: dict[tuple, int] = {}
    for r in rows:
        key = (r["dataset"], r["what"], r["found"], r["needed"], r["verdict"])
        grouped[key] = grouped.get(key, 0) + 1
    print(f"{'dataset':13} {'what':14} {'found':>16} {'needed':>16}  runs  verdict")
    for (dataset, what, found, needed, verdict), n in grouped.items():
        fmt = (lambda v: f"{v:,}" if isinstance(v, int) else v)  # noqa: E731
        print(f"{dataset:13} {what:14} {fmt(found):>16} {fmt(needed):>16}  {n:4}  {verdict}")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 2 if problems else 0
