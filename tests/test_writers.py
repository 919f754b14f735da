"""Output writers: every record written, the file published only on success, nothing left on failure."""

import decimal
import io
import json
import os
import stat

import pandas as pd
import pytest

from classifier.errors import InputError
from classifier.segment import split_sentences
from classifier.textnorm import normalise
from classifier.writers import RecordWriter, flatten

from .conftest import SEEDS

LABELS = ["testing", "isolation", "supply", "port_control", "discipline"]


@pytest.fixture(scope="module")
def records():
    """Sentence records shaped like `measures tag` output, built from the first two seed articles."""
    out = []
    for path in SEEDS[:2]:
        for i, text in enumerate(split_sentences(normalise(path.read_text(encoding="utf-8")))):
            labels = [LABELS[i % 5]] if i % 3 else []
            scores = {label: round((i * 7 + k) % 10 / 10, 4) for k, label in enumerate(LABELS)}
            out.append({"doc": path.name, "index": i, "text": text, "labels": labels, "scores": scores})
    return out


def write_all(path, records):
    writer = RecordWriter(str(path))
    for record in records:
        writer.write(record)
    return writer


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_jsonl_writes_every_record(tmp_path, records):
    path = tmp_path / "out.jsonl"
    write_all(path, records).close(ok=True)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records
    assert "核酸" in path.read_text(encoding="utf-8") or "疫情" in path.read_text(encoding="utf-8")


def test_csv_writes_every_record(tmp_path, records):
    path = tmp_path / "out.csv"
    write_all(path, records).close(ok=True)
    frame = pd.read_csv(path, keep_default_na=False)
    assert list(frame.columns) == ["doc", "index", "text", "labels", *(f"score_{label}" for label in LABELS)]
    assert frame["text"].tolist() == [r["text"] for r in records]
    assert frame["labels"].tolist() == [";".join(r["labels"]) for r in records]
    assert frame["score_supply"].tolist() == [r["scores"]["supply"] for r in records]


def test_parquet_writes_every_record(tmp_path, records):
    path = tmp_path / "out.parquet"
    write_all(path, records).close(ok=True)
    frame = pd.read_parquet(path)
    assert len(frame) == len(records)
    assert frame["text"].tolist() == [r["text"] for r in records]
    assert frame["index"].tolist() == [r["index"] for r in records]
    assert frame["score_port_control"].tolist() == [r["scores"]["port_control"] for r in records]


def test_parquet_in_several_row_groups(tmp_path, records, monkeypatch):
    monkeypatch.setattr("classifier.writers.PARQUET_ROWS", 7)
    path = tmp_path / "out.parquet"
    write_all(path, records).close(ok=True)
    assert pd.read_parquet(path)["text"].tolist() == [r["text"] for r in records]


def test_parquet_with_no_records(tmp_path):
    path = tmp_path / "none.parquet"
    RecordWriter(str(path)).close(ok=True)
    assert len(pd.read_parquet(path)) == 0


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".csv", ".parquet"])
def test_file_appears_only_on_close(tmp_path, records, suffix):
    path = tmp_path / f"out{suffix}"
    writer = write_all(path, records)
    assert not path.exists()
    assert len(leftovers(tmp_path)) == 1
    writer.close(ok=True)
    assert path.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_failed_run_leaves_nothing(tmp_path, records, suffix):
    path = tmp_path / f"out{suffix}"
    write_all(path, records).close(ok=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_failed_run_keeps_the_previous_file(tmp_path, records, suffix):
    path = tmp_path / f"out{suffix}"
    write_all(path, records[:3]).close(ok=True)
    before = path.read_bytes()
    write_all(path, records).close(ok=False)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_output_file_gets_the_usual_permissions(tmp_path, records):
    old = os.umask(0o022)
    try:
        path = tmp_path / "out.csv"
        write_all(path, records).close(ok=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_parquet_column_of_mixed_types_fails_cleanly(tmp_path, records):
    path = tmp_path / "out.parquet"
    writer = write_all(path, [{**records[0], "region": 1}, {**records[1], "region": "包头"}])
    with pytest.raises(InputError) as info:
        writer.close(ok=True)
    assert info.value.source == str(path)
    assert "mixes value types" in info.value.reason
    assert list(tmp_path.iterdir()) == []


def test_jsonl_values_that_json_cannot_encode(tmp_path, records):
    path = tmp_path / "out.jsonl"
    write_all(path, [{**records[0], "amount": decimal.Decimal("1.50")}]).close(ok=True)
    assert json.loads(path.read_text(encoding="utf-8"))["amount"] == "1.50"


def test_parent_directories_are_created(tmp_path, records):
    path = tmp_path / "a" / "b" / "out.jsonl"
    write_all(path, records[:2]).close(ok=True)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize("name", ["out.txt", "out.xlsx", "out", "out.json"])
def test_unknown_suffix(tmp_path, name):
    with pytest.raises(InputError) as info:
        RecordWriter(str(tmp_path / name))
    assert info.value.source == str(tmp_path / name)
    assert "unknown output format" in info.value.reason
    assert ".csv" in info.value.reason
    assert list(tmp_path.iterdir()) == []


def test_stream_output(records):
    stream = io.StringIO()
    writer = RecordWriter(None, stream=stream)
    for record in records[:5]:
        writer.write(record)
    writer.close(ok=True)
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == records[:5]


def test_csv_columns_come_from_the_first_record(tmp_path, records):
    path = tmp_path / "out.csv"
    writer = write_all(path, [records[0], {**records[1], "region": "满洲里"}])
    writer.close(ok=True)
    assert writer.dropped_columns == {"region"}
    frame = pd.read_csv(path, keep_default_na=False)
    assert "region" not in frame.columns
    assert len(frame) == 2


def test_flatten_sentence_record():
    record = {
        "doc": "a.txt",
        "index": 3,
        "text": "全员核酸检测",
        "labels": ["testing", "isolation"],
        "scores": {"testing": 0.91, "isolation": 0.55},
        "region": "满洲里",
    }
    assert flatten(record) == {
        "doc": "a.txt",
        "index": 3,
        "text": "全员核酸检测",
        "labels": "testing;isolation",
        "score_testing": 0.91,
        "score_isolation": 0.55,
        "region": "满洲里",
    }


def test_flatten_no_labels_and_non_list_values():
    assert flatten({"labels": [], "scores": {}}) == {"labels": ""}
    assert flatten({"labels": "testing", "scores": 0.5, "n": [1]}) == {"labels": "testing", "scores": 0.5, "n": [1]}
