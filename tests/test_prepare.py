"""`harness data prepare | check` on generated inputs, offline: fake ILSVRC-2012 archives and
extracted folders (devkit and Kaggle labels), a tiny text source with the byte stand-in
tokenizer, and shard sets too small, big enough, or allowed to repeat."""

from __future__ import annotations

import io
import json
import os
import tarfile

import numpy as np
import pytest
import yaml
from PIL import Image

from harness.cli import main
from harness.data import build_dataset
from harness.data.prepare_fineweb import prepare_fineweb
from harness.data.prepare_imagenet import prepare_imagenet
from harness.data.tokens import read_shard

# Devkit ids are not sorted wnids (id 1 is n02119789, the kit fox): the labels must follow them.
WNIDS = {1: "n02119789", 2: "n01440764", 3: "n01443537"}
VAL_CLASS_IDS = [2, 1, 3, 3, 1, 2]  # the ground truth, one line per val image


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG")
    return out.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _val_name(i: int) -> str:
    return f"ILSVRC2012_val_{i:08d}.JPEG"


@pytest.fixture
def archives(tmp_path):
    """ILSVRC2012_img_train.tar (a tar per class), _img_val.tar (flat), the devkit tar.gz."""
    from scipy.io import savemat

    src = tmp_path / "downloads"
    src.mkdir()
    with tarfile.open(src / "ILSVRC2012_img_train.tar", "w") as outer:
        for k, wnid in enumerate(sorted(WNIDS.values())):
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as t:
                for i in range(3):
                    _add(t, f"{wnid}_{i}.JPEG", _jpeg(10 * k + i))
            _add(outer, f"{wnid}.tar", inner.getvalue())
    with tarfile.open(src / "ILSVRC2012_img_val.tar", "w") as t:
        for i in range(1, len(VAL_CLASS_IDS) + 1):
            _add(t, _val_name(i), _jpeg(100 + i))
    devkit = tmp_path / "devkit_build" / "ILSVRC2012_devkit_t12"
    (devkit / "data").mkdir(parents=True)
    # meta.mat's synsets: the leaves (num_children 0) are the classes; one inner node too.
    dtype = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")]
    synsets = np.array([(i, w, f"class {i}", 0) for i, w in WNIDS.items()]
                       + [(4, "n00001740", "entity", 3)], dtype=dtype)
    savemat(devkit / "data" / "meta.mat", {"synsets": synsets})
    (devkit / "data" / "ILSVRC2012_validation_ground_truth.txt").write_text(
        "\n".join(map(str, VAL_CLASS_IDS)) + "\n")
    with tarfile.open(src / "ILSVRC2012_devkit_t12.tar.gz", "w:gz") as t:
        t.add(devkit, arcname="ILSVRC2012_devkit_t12")
    return src


def test_imagenet_from_the_official_archives_with_devkit_labels(archives, tmp_path):
    root = tmp_path / "root"
    counts = prepare_imagenet(archives, root)
    assert counts == {"train": {"classes": 3, "images": 9}, "val": {"classes": 3, "images": 6}}
    for i, class_id in enumerate(VAL_CLASS_IDS, start=1):  # labelled in the devkit's order
        assert (root / "imagenet" / "val" / WNIDS[class_id] / _val_name(i)).is_file()
    data = build_dataset("imagenet", root, 16)
    assert data.num_classes == 3 and len(data.train) == 9 and len(data.test) == 6
    assert prepare_imagenet(archives, root)["already_prepared"]


def test_imagenet_preparation_resumes_after_an_interruption(archives, tmp_path):
    root = tmp_path / "root"
    prepare_imagenet(archives, root)
    out = root / "imagenet"
    (out / ".prepared.json").unlink()  # as if killed: a class half extracted, a val image gone
    (out / "train" / "n01440764").rename(out / "train" / "n01440764.partial")
    (out / "train" / "n01440764.partial" / "n01440764_0.JPEG").unlink()
    os.remove(out / "val" / WNIDS[2] / _val_name(1))
    counts = prepare_imagenet(archives, root)
    assert counts["train"]["images"] == 9 and counts["val"]["images"] == 6
    assert not (out / "train" / "n01440764.partial").exists()


def test_imagenet_from_extracted_folders_links_instead_of_copying(tmp_path):
    src = tmp_path / "kaggle" / "ILSVRC" / "Data" / "CLS-LOC"
    rows = ["ImageId,PredictionString"]
    for k, wnid in enumerate(sorted(WNIDS.values())):
        (src / "train" / wnid).mkdir(parents=True)
        (src / "train" / wnid / f"{wnid}_0.JPEG").write_bytes(_jpeg(k))
    (src / "val").mkdir()
    for i, class_id in enumerate(VAL_CLASS_IDS, start=1):
        (src / "val" / _val_name(i)).write_bytes(_jpeg(50 + i))
        rows.append(f"ILSVRC2012_val_{i:08d},{WNIDS[class_id]} 1 2 30 40")
    (tmp_path / "kaggle" / "LOC_val_solutions.csv").write_text("\n".join(rows) + "\n")
    root = tmp_path / "root"
    assert main(["data", "prepare", "imagenet", "--source", str(tmp_path / "kaggle"),
                 "--dest", str(root)]) == 0
    train_class = root / "imagenet" / "train" / "n01440764"
    assert train_class.is_symlink()
    linked = root / "imagenet" / "val" / WNIDS[3] / _val_name(3)
    assert os.stat(linked).st_ino == os.stat(src / "val" / _val_name(3)).st_ino  # no copy
    assert len(build_dataset("imagenet", root, 16).test) == 6


def test_imagenet_without_labels_is_refused_naming_what_is_expected(tmp_path, capsys):
    (tmp_path / "src" / "train" / "n01").mkdir(parents=True)
    (tmp_path / "src" / "val").mkdir()
    assert main(["data", "prepare", "imagenet", "--source", str(tmp_path / "src"),
                 "--dest", str(tmp_path / "root")]) == 2
    assert "LOC_val_solutions.csv or the devkit" in capsys.readouterr().err


def _texts(tmp_path, n=40):
    src = tmp_path / "text"
    src.mkdir()
    docs = [f"document {i}: " + "weight decay " * (i % 7 + 1) for i in range(n)]
    (src / "part.jsonl").write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    stream = np.concatenate([[0, *d.encode()] for d in docs]).astype(np.uint16)
    return src, stream


def _shards(folder):
    names = sorted(p.name for p in folder.glob("*.bin"))
    return names, np.concatenate([read_shard(folder / n) for n in
                                  sorted(names, key=lambda n: int(n[-10:-4]))])


def test_fineweb_shards_hold_the_tokenized_documents_first_shard_val(tmp_path):
    src, stream = _texts(tmp_path)
    state = prepare_fineweb(tmp_path / "root", 1000, src, "bytes", shard_tokens=300, workers=1)
    names, tokens = _shards(tmp_path / "root" / "fineweb_edu")
    assert names[-1] == "fineweb_edu_val_000000.bin" and len(names) == 4
    assert state["tokens"] == 1000 and np.array_equal(tokens, stream[:1000])
    assert prepare_fineweb(tmp_path / "root", 1000, src, "bytes",
                           shard_tokens=300)["already_prepared"]
    data = build_dataset("fineweb_edu", tmp_path / "root", 32)
    assert len(data.train) == 2 * (299 // 32) + 99 // 32 and len(data.test) == 299 // 32


def test_fineweb_preparation_resumes_inside_a_document(tmp_path):
    src, stream = _texts(tmp_path)
    prepare_fineweb(tmp_path / "root", 450, src, "bytes", shard_tokens=200, workers=1)
    state = prepare_fineweb(tmp_path / "root", 1100, src, "bytes", shard_tokens=200,
                            workers=1)  # as if the first call had been stopped at 450
    _, tokens = _shards(tmp_path / "root" / "fineweb_edu")
    assert state["tokens"] == 1100 and np.array_equal(tokens, stream[:1100])


def _token_sweep(tmp_path, steps, **extra):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({
        "name": "check", "model": "gpt", "dataset": "fineweb_edu", "seq_len": 32,
        "batch_size": 4, "steps": steps, "optimizer": "adamw", "lr": 1e-3,
        "eval_tokens": 64, **extra}))
    return str(path)


def test_check_refuses_too_few_tokens_unless_the_sweep_allows_repeats(tmp_path, capsys):
    src, _ = _texts(tmp_path)
    prepare_fineweb(tmp_path / "root", 1000, src, "bytes", shard_tokens=300, workers=1)
    root = ["--data-root", str(tmp_path / "root"), "--scale", "paper"]
    # 21 windows of 32 tokens: 672 train tokens; a step reads 4 × 32 = 128
    assert main(["data", "check", _token_sweep(tmp_path, 5)] + root) == 0
    assert "train tokens" in capsys.readouterr().out
    assert main(["data", "check", _token_sweep(tmp_path, 6)] + root) == 2
    err = capsys.readouterr().err
    assert "dataset fineweb_edu" in err and "found 672, run" in err and "needs 768" in err
    assert main(["data", "check", _token_sweep(tmp_path, 6, data_repeat="allow")] + root) == 0
    assert "repeats (allowed)" in capsys.readouterr().out


def test_check_refuses_an_incomplete_imagenet(archives, tmp_path, capsys):
    prepare_imagenet(archives, tmp_path / "root")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"name": "in", "model": "resnet", "dataset": "imagenet",
                                     "epochs": 1, "optimizer": "sgd", "lr": 0.1}))
    assert main(["data", "check", str(sweep), "--data-root", str(tmp_path / "root")]) == 2
    assert "train classes: found 3, run" in capsys.readouterr().err


def test_run_refuses_to_read_shards_twice_before_creating_anything(tmp_path, capsys):
    src, _ = _texts(tmp_path)
    prepare_fineweb(tmp_path / "root", 1000, src, "bytes", shard_tokens=300, workers=1)
    results = tmp_path / "results"
    assert main(["run", _token_sweep(tmp_path, 6), "--scale", "paper", "--results",
                 str(results), "--data-root", str(tmp_path / "root")]) == 2
    err = capsys.readouterr().err
    assert "train tokens: found 672" in err and "harness data check" in err
    assert not results.exists()


def test_resuming_with_another_tokenizer_or_too_little_is_refused(tmp_path, capsys):
    src, _ = _texts(tmp_path)
    prepare_fineweb(tmp_path / "root", 450, src, "bytes", shard_tokens=200, workers=1)
    with pytest.raises(Exception, match="prepared with tokenizer 'bytes'"):
        prepare_fineweb(tmp_path / "root", 900, src, "gpt2", shard_tokens=200, workers=1)
    with pytest.raises(Exception, match="fills only the val shard"):
        prepare_fineweb(tmp_path / "other", 100, src, "bytes", shard_tokens=200, workers=1)
    assert main(["data", "prepare", "fineweb-edu", "--dest", str(tmp_path / "short"),
                 "--tokens", "100K", "--source", str(src), "--tokenizer", "bytes",
                 "--shard-tokens", "300", "--workers", "1"]) == 2
    assert "documents ran out" in capsys.readouterr().err


def test_check_accepts_cifar_files(tmp_path):
    from harness.data.fake import fake_cifar10

    fake_cifar10(tmp_path, per_batch=4)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"name": "c", "model": "resnet", "dataset": "cifar10",
                                     "steps": 5, "optimizer": "sgd", "lr": 0.1}))
    assert main(["data", "check", str(sweep), "--data-root", str(tmp_path)]) == 0
