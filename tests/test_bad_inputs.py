"""Bad and strange input end to end: each gives correct tags or one clear error, the rest go on."""

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import InputError
from classifier.segment import MAX_SENTENCE_CHARS
from classifier.sources import iter_documents

from .conftest import ROOT, SEEDS

ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "gbk", "gb18030", "big5"]


def encode(text, encoding):
    if encoding.endswith("-bom"):
        codec = encoding[:-4]
        bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
        return bom + text.encode(codec)
    return text.encode(encoding)


def run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "classifier", *map(str, args)], cwd=ROOT, capture_output=True, text=True, **kwargs
    )


@pytest.fixture(scope="module")
def twins(tmp_path_factory, seed_texts):
    """Seed 004 (Traditional, with glosses) saved in every encoding, next to its UTF-8 original."""
    folder = tmp_path_factory.mktemp("twins")
    text = seed_texts["004_c5e53934c76a5fb6.txt"]
    text = text.encode("big5", errors="ignore").decode("big5")  # keep only what Big5 can hold
    (folder / "utf8.txt").write_text(text, encoding="utf-8")
    for encoding in ENCODINGS:
        (folder / f"{encoding}.txt").write_bytes(encode(text, encoding))
    return folder


def test_every_encoding_is_tagged_like_its_utf8_twin(twins, trained_dir):
    result = run("tag", twins, "--model", trained_dir, check=False)
    assert result.returncode == 0, result.stderr
    by_doc = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        by_doc.setdefault(os.path.basename(record["doc"]), []).append((record["text"], record["labels"]))
    reference = by_doc.pop("utf8.txt")
    assert len(reference) > 10
    assert sorted(by_doc) == sorted(f"{e}.txt" for e in ENCODINGS)
    for name, tagged in by_doc.items():
        assert tagged == reference, name


def test_bad_files_among_good_ones(tmp_path, trained_dir, seed_texts):
    import zipfile

    good = seed_texts["001_64c3615dac105363.txt"]
    (tmp_path / "a_good.txt").write_text(good, encoding="utf-8")
    (tmp_path / "b_empty.txt").write_bytes(b"")
    (tmp_path / "c_blank.txt").write_text(" \n\t\u3000\n", encoding="utf-8")
    (tmp_path / "d_image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    with zipfile.ZipFile(tmp_path / "e_archive.txt", "w") as archive:
        archive.writestr("x.txt", good)
    (tmp_path / "f_noise.txt").write_bytes(bytes(range(128, 256)) * 64)
    (tmp_path / "g_good.html").write_text(
        "<html><head><script>var x='脚本';</script><style>p{}</style></head><body><nav>首页 导航</nav>"
        + "".join(f"<p>{p}</p>" for p in good.split("\n") if p.strip())
        + "<footer>版权所有</footer></body></html>",
        encoding="gbk",
        errors="ignore",
    )
    result = run("tag", tmp_path, "--model", trained_dir, check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert sorted(e.split(":")[1].strip().rsplit("/", 1)[-1] for e in errors) == [
        "b_empty.txt",
        "c_blank.txt",
        "d_image.txt",
        "e_archive.txt",
        "f_noise.txt",
    ]
    docs = [json.loads(line)["doc"] for line in result.stdout.splitlines()]
    text_sentences = docs.count(str(tmp_path / "a_good.txt"))
    assert text_sentences > 10
    assert docs.count(str(tmp_path / "g_good.html")) >= text_sentences - 2
    assert "5 input(s) failed, 2 document(s) tagged" in result.stderr


def test_a_file_that_vanishes_mid_run(tmp_path, seed_texts):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(seed_texts["003_52ff264634f4767a.txt"], encoding="utf-8")
    items = iter_documents([str(tmp_path)])
    first = next(items)
    (tmp_path / "b.txt").unlink()
    rest = list(items)
    assert first.doc.endswith("a.txt")
    assert isinstance(rest[0], InputError) and rest[0].source.endswith("b.txt")
    assert rest[1].doc.endswith("c.txt")


def test_a_50_mb_line_without_punctuation_is_split_not_dropped(tmp_path, trained_dir):
    import random

    rng = random.Random(0)
    alphabet = "疫情防控核酸检测隔离管控物资保障口岸纪律问责全员开展工作人员社区居民"
    text = "".join(rng.choices(alphabet, k=17_500_000))  # 52.5 MB in UTF-8, no punctuation, one line
    path = tmp_path / "line.txt"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "line.jsonl"
    # The peak of this process alone (VmHWM): ru_maxrss would count pytest's memory from before exec.
    code = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['measures', 'tag', {str(path)!r}, '-o', {str(out)!r}, '--model', {str(trained_dir)!r}]\n"
        "try:\n    runpy.run_module('classifier', run_name='__main__')\n"
        "finally:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "    kb = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    print('maxrss', kb, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    peak_mb = int(result.stderr.split("maxrss")[-1]) / 1024
    lengths = total = 0
    with out.open(encoding="utf-8") as handle:
        for line in handle:
            sentence = json.loads(line)["text"]
            assert len(sentence) <= MAX_SENTENCE_CHARS
            lengths = max(lengths, len(sentence))
            total += len(sentence)
    assert total == len(text) and lengths == MAX_SENTENCE_CHARS
    assert peak_mb < 600, f"peak RSS {peak_mb:.0f} MB"


@pytest.mark.parametrize(
    "text",
    ["😷😷 全员核酸检测 🧪", "\x00\x07\x1b控制\u200b字符\ufeff隔离", "，。！？、；：“”（）……", "", "   ", "a" * 100],
)
def test_predict_on_strange_strings(predictor, text):
    labels = predictor.predict([text])
    assert len(labels) == 1 and set(labels[0]) <= set(predictor.labels)


def test_predict_on_a_megabyte_string(predictor):
    text = SEEDS[1].read_text(encoding="utf-8") * 200
    assert len(text.encode("utf-8")) > 1_000_000
    (labels,) = predictor.predict([text])
    assert set(labels) <= set(predictor.labels)
    article = predictor.tag(text)
    assert sum(len(s.text) for s in article.sentences) > 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=8))
def test_predict_never_raises_and_returns_known_labels(predictor, texts):
    result = predictor.predict(texts)
    assert len(result) == len(texts)
    assert all(set(labels) <= set(predictor.labels) for labels in result)


def test_an_unreadable_file_among_readable_ones(tmp_path, seed_texts, monkeypatch):
    from pathlib import Path

    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(seed_texts["000_35c47de45b526af0.txt"], encoding="utf-8")
    read_bytes = Path.read_bytes

    def guarded(self):  # root reads through chmod 000, so the refusal is simulated
        if self.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    items = list(iter_documents([str(tmp_path)]))
    assert [type(i).__name__ for i in items] == ["Document", "InputError", "Document"]
    assert str(items[1]) == f"{tmp_path / 'b.txt'}: Permission denied"
