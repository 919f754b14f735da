"""The `measures` command line: output on stdout, one `Error:` line per bad input on stderr, exit codes."""

import csv
import json
import os
import re
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.labels import load_schema
from classifier.segment import split_sentences
from classifier.textnorm import normalise, to_simplified

from .conftest import ROOT, SCHEMA, SEEDS

LABEL_IDS = [label.id for label in load_schema(SCHEMA)]
TRADITIONAL = ROOT / "seeds" / "003_52ff264634f4767a.txt"
GLOSSED = ROOT / "seeds" / "004_c5e53934c76a5fb6.txt"
GLOSS_RE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)")

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_model_from_environment(monkeypatch):
    monkeypatch.delenv("MEASURES_MODEL", raising=False)


@pytest.fixture(scope="module")
def model(trained_dir):
    return str(trained_dir)


def invoke(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)


def seed_sentences(path):
    return split_sentences(normalise(path.read_text(encoding="utf-8")))


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def seeds_run(model):
    """`measures tag seeds/` in the repository root."""
    result = invoke("tag", ROOT / "seeds", "--model", model)
    return result, jsonl(result.stdout)


def test_tag_directory_prints_one_record_per_sentence(seeds_run):
    result, records = seeds_run
    assert result.exit_code == 0
    assert result.stderr == ""
    expected = [(str(path), i, s) for path in SEEDS for i, s in enumerate(seed_sentences(path))]
    assert [(r["doc"], r["index"], r["text"]) for r in records] == expected


def test_tag_records_have_known_labels_and_scores(seeds_run):
    _, records = seeds_run
    assert all(list(r) == ["doc", "index", "text", "labels", "scores"] for r in records)
    assert all(set(r["labels"]) <= set(LABEL_IDS) for r in records)
    assert all(list(r["scores"]) == LABEL_IDS for r in records)
    assert all(0.0 <= p <= 1.0 for r in records for p in r["scores"].values())
    used = {label for r in records for label in r["labels"]}
    assert {"testing", "isolation", "discipline"} <= used


def test_threshold_applies_to_all_labels(model):
    result = invoke("tag", SEEDS[1], "--model", model, "--threshold", "0")
    records = jsonl(result.stdout)
    assert len(records) == len(seed_sentences(SEEDS[1]))
    assert all(r["labels"] == LABEL_IDS for r in records)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_output_file(tmp_path, model, seeds_run, suffix):
    _, records = seeds_run
    out = tmp_path / f"out{suffix}"
    result = invoke("tag", ROOT / "seeds", "-o", out, "--model", model)
    assert result.exit_code == 0
    assert result.stdout == ""
    frame = {
        ".csv": lambda: pd.read_csv(out, keep_default_na=False),
        ".jsonl": lambda: pd.read_json(out, lines=True),
        ".parquet": lambda: pd.read_parquet(out),
    }[suffix]()
    assert frame["text"].tolist() == [r["text"] for r in records]
    assert frame["doc"].tolist() == [r["doc"] for r in records]
    if suffix != ".jsonl":
        assert {f"score_{label}" for label in LABEL_IDS} <= set(frame.columns)
        assert frame["labels"].tolist() == [";".join(r["labels"]) for r in records]
        assert frame["score_testing"].tolist() == [r["scores"]["testing"] for r in records]
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_level_article(tmp_path, model, seeds_run):
    _, records = seeds_run
    out = tmp_path / "articles.csv"
    result = invoke("tag", ROOT / "seeds", "--level", "article", "-o", out, "--model", model)
    assert result.exit_code == 0
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame["doc"].tolist() == [str(path) for path in SEEDS]
    for label in LABEL_IDS:
        assert f"n_{label}" in frame.columns
        assert f"share_{label}" in frame.columns
    for _, row in frame.iterrows():
        mine = [r for r in records if r["doc"] == row["doc"]]
        counts = Counter(label for r in mine for label in r["labels"])
        assert row["sentences"] == len(mine)
        for label in LABEL_IDS:
            assert row[f"n_{label}"] == counts[label]
            assert row[f"share_{label}"] == pytest.approx(round(counts[label] / len(mine), 4))
        assert row["labels"] == ";".join(label for label in LABEL_IDS if counts[label])


@pytest.fixture
def mixed_inputs(tmp_path, seed_texts):
    good_a = tmp_path / "a.txt"
    good_a.write_text(seed_texts[SEEDS[0].name], encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)))
    good_b = tmp_path / "b.txt"
    good_b.write_bytes(seed_texts[SEEDS[3].name].encode("big5"))
    return good_a, empty, png, good_b


def test_bad_inputs_are_reported_and_the_others_tagged(model, mixed_inputs):
    good_a, empty, png, good_b = mixed_inputs
    result = invoke("tag", good_a, empty, png, good_b, "--model", model)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: {empty}: empty file"
    assert lines[1].startswith(f"Error: {png}: binary file")
    assert lines[2] == "2 input(s) failed, 2 document(s) tagged"
    assert len(lines) == 3
    records = jsonl(result.stdout)
    assert [r["doc"] for r in records] == [str(good_a)] * len(seed_sentences(SEEDS[0])) + [str(good_b)] * len(
        seed_sentences(SEEDS[3])
    )


def test_bad_inputs_with_output_file(tmp_path, model, mixed_inputs):
    out = tmp_path / "out" / "tags.parquet"
    result = invoke("tag", *mixed_inputs, "-o", out, "--model", model)
    assert result.exit_code == 1
    assert result.stderr.count("Error: ") == 2
    assert set(pd.read_parquet(out)["doc"]) == {str(mixed_inputs[0]), str(mixed_inputs[3])}


@pytest.mark.parametrize("name", ["tags.jsonl", "tags.csv", "tags.parquet"])
def test_no_output_file_when_every_input_fails(tmp_path, model, mixed_inputs, name):
    out = tmp_path / name
    out.write_text("an earlier run's output\n", encoding="utf-8")
    result = invoke("tag", mixed_inputs[1], mixed_inputs[2], "-o", out, "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"2 input(s) failed, 0 document(s) tagged; {out} not written"
    assert out.read_text(encoding="utf-8") == "an earlier run's output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["empty.txt", "image.txt", "a.txt", "b.txt", name])


def test_missing_input_and_a_document_without_sentences(tmp_path, model, seed_texts):
    good = tmp_path / "good.txt"
    good.write_text(seed_texts[SEEDS[2].name], encoding="utf-8")
    chrome = tmp_path / "chrome.txt"
    chrome.write_text("微信掃一掃\n\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    result = invoke("tag", missing, chrome, good, "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {missing}: no such file or directory",
        f"Error: {chrome}: no sentences to tag (nothing left after normalisation)",
        "2 input(s) failed, 1 document(s) tagged",
    ]
    assert {r["doc"] for r in jsonl(result.stdout)} == {str(good)}


def test_table_input_with_columns(tmp_path, model, seed_texts):
    path = tmp_path / "articles.csv"
    rows = [
        {"article": "nm-1", "body": seed_texts[SEEDS[0].name], "region": "满洲里"},
        {"article": "nm-2", "body": "", "region": "包头"},
        {"article": "nm-3", "body": seed_texts[SEEDS[1].name], "region": "呼和浩特"},
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    result = invoke("tag", path, "--text-column", "body", "--id-column", "article", "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"Error: {path}:2: empty 'body' cell"
    records = jsonl(result.stdout)
    assert [r["doc"] for r in records] == ["nm-1"] * len(seed_sentences(SEEDS[0])) + ["nm-3"] * len(
        seed_sentences(SEEDS[1])
    )
    assert {r["region"] for r in records} == {"满洲里", "呼和浩特"}
    assert all(r["article"] == r["doc"] for r in records)


def test_table_without_the_text_column(tmp_path, model, seed_texts):
    path = tmp_path / "articles.csv"
    pd.DataFrame([{"body": seed_texts[SEEDS[0].name]}]).to_csv(path, index=False)
    result = invoke("tag", path, "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(f"Error: {path}: no column 'text'")
    assert result.stdout == ""


def test_stdin(model, seed_texts):
    data = seed_texts[SEEDS[4].name].encode("gb18030")
    result = invoke("tag", "-", "--model", model, input=data)
    assert result.exit_code == 0
    assert [r["text"] for r in jsonl(result.stdout)] == seed_sentences(SEEDS[4])
    assert {r["doc"] for r in jsonl(result.stdout)} == {"<stdin>"}


def test_parquet_output_that_cannot_be_written(tmp_path, model, seed_texts):
    path = tmp_path / "articles.jsonl"
    lines = [
        {"text": seed_texts[SEEDS[0].name], "region": 150700},
        {"text": seed_texts[SEEDS[1].name], "region": "呼和浩特"},
    ]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = invoke("tag", path, "-o", out, "--model", model)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {out}: cannot write Parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles.jsonl"]


def test_all_good_exits_zero(model, seed_texts, tmp_path):
    path = tmp_path / "one.txt"
    path.write_text(seed_texts[SEEDS[2].name], encoding="utf-8")
    result = invoke("tag", path, "--model", model)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(jsonl(result.stdout)) == len(seed_sentences(SEEDS[2]))


@pytest.mark.parametrize(
    "args",
    [
        ["tag", "seeds", "--no-such-option"],
        ["tag", "seeds", "--level", "paragraph"],
        ["tag", "seeds", "--threshold", "1.5"],
        ["tag"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_unknown_output_format_exits_2(tmp_path, model):
    out = tmp_path / "tags.xlsx"
    result = invoke("tag", SEEDS[0], "-o", out, "--model", model)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {out}: unknown output format")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["tag", SEEDS[0]], ["explain", "全员核酸检测"]])
def test_missing_model_directory(tmp_path, command):
    result = invoke(*command, "--model", tmp_path / "no-model")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {tmp_path / 'no-model'}: no such model directory")


def test_model_from_environment(model, tmp_path):
    result = invoke("tag", SEEDS[1], env={"MEASURES_MODEL": model})
    assert result.exit_code == 0
    assert len(jsonl(result.stdout)) == len(seed_sentences(SEEDS[1]))
    missing = tmp_path / "elsewhere"
    result = invoke("tag", SEEDS[1], env={"MEASURES_MODEL": str(missing)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {missing}: ")


def test_model_option_wins_over_environment(model, tmp_path):
    result = invoke("tag", SEEDS[1], "--model", model, env={"MEASURES_MODEL": str(tmp_path / "elsewhere")})
    assert result.exit_code == 0


@pytest.mark.parametrize("path", [TRADITIONAL, GLOSSED])
def test_segment_prints_normalised_sentences(path):
    result = invoke("segment", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines == seed_sentences(path)
    assert len(lines) > 10
    for line in lines:
        assert to_simplified(line) == line
        assert not GLOSS_RE.search(line)
    raw = path.read_text(encoding="utf-8")
    assert GLOSS_RE.search(raw)
    assert to_simplified(raw) != raw


def test_segment_traditional_words():
    text = invoke("segment", TRADITIONAL).stdout
    assert "会议" in text
    assert "會議" not in text
    assert "(zhao)" not in text


def test_segment_bad_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\xef\xbb\xbf\n")
    result = invoke("segment", path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: no text (only whitespace)\n"


def test_explain(model):
    result = invoke("explain", "全市开展全员核酸检测，设置核酸采样点。", "--top", "3", "--model", model)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("labels: ")
    assert "testing" in lines[0].removeprefix("labels: ").split(", ")
    assert [line.split()[0] for line in lines[1:]] == LABEL_IDS
    testing = lines[1 + LABEL_IDS.index("testing")]
    assert "核酸" in testing
    assert len(re.findall(r"[+-]\d\.\d\d", testing)) <= 3


def test_explain_sentence_without_measures(model):
    result = invoke("explain", "今天天气晴朗。", "--model", model)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "labels: (none)"


@pytest.fixture
def labelled_csv(tmp_path):
    rows = [
        ("1", "全市开展全员核酸检测，设置核酸采样点。", "testing"),
        ("2", "密切接触者一律集中隔离医学观察。", "isolation"),
        ("3", "做好生活必需品保供稳价工作，保障口罩等防疫物资供应。", "supply"),
        ("4", "严格入境人员闭环管理，加强口岸疫情防控。", "port_control"),
        ("5", "对防控工作不力的干部严肃问责。", "discipline"),
        ("6", "今天天气晴朗。", ""),
        ("7", "对封控区居民开展核酸检测，做好隔离管控。", "testing;isolation"),
    ]
    path = tmp_path / "dev.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "labels"])
        writer.writerows(rows)
    return path


def test_evaluate_json(model, labelled_csv):
    result = invoke("evaluate", labelled_csv, "--json", "--model", model)
    assert result.exit_code == 0
    scores = json.loads(result.stdout)
    assert list(scores["per_label"]) == LABEL_IDS
    assert {label: s["support"] for label, s in scores["per_label"].items()} == {
        "testing": 2,
        "isolation": 2,
        "supply": 1,
        "port_control": 1,
        "discipline": 1,
    }
    assert scores["rows"] == 7
    assert 0.0 <= scores["macro_f1"] <= 1.0
    assert 0.0 < scores["micro_f1"] <= 1.0


def test_evaluate_table(model, labelled_csv):
    result = invoke("evaluate", labelled_csv, "--model", model)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["label", "P", "R", "F1", "n"]
    assert [line.split()[0] for line in lines[1:6]] == LABEL_IDS
    assert lines[-2].startswith("micro F1")
    assert lines[-1].startswith("macro F1")


def test_evaluate_unknown_label(model, labelled_csv):
    labelled_csv.write_text("id,text,labels\n1,全员核酸检测。,vaccination\n", encoding="utf-8")
    result = invoke("evaluate", labelled_csv, "--json", "--model", model)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {labelled_csv}: labels not known to the model: vaccination")


def run_module(*args):
    return subprocess.run(
        [sys.executable, "-m", "classifier", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_python_dash_m_tags_the_seeds(model, seeds_run):
    _, records = seeds_run
    result = run_module("tag", "seeds/", "--model", model)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [(r["doc"], r["text"], r["labels"]) for r in jsonl(result.stdout)] == [
        (os.path.relpath(r["doc"], ROOT), r["text"], r["labels"]) for r in records
    ]


def test_python_dash_m_reports_bad_inputs(model, mixed_inputs):
    result = run_module("tag", *mixed_inputs, "--model", model)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {mixed_inputs[1]}: empty file",
        f"Error: {mixed_inputs[2]}: binary file (a PNG image), not text",
        "2 input(s) failed, 2 document(s) tagged",
    ]
    assert {r["doc"] for r in jsonl(result.stdout)} == {str(mixed_inputs[0]), str(mixed_inputs[3])}


def test_files_a_directory_walk_leaves_out_are_counted_in_a_note(tmp_path, model, seed_texts):
    scrape = tmp_path / "scrape"
    (scrape / "2020").mkdir(parents=True)
    (scrape / "2020" / "a.txt").write_text(seed_texts[SEEDS[0].name], encoding="utf-8")
    (scrape / "2020" / "0001").write_text(seed_texts[SEEDS[1].name], encoding="utf-8")
    (scrape / "notice.pdf").write_bytes(b"%PDF-1.4")
    result = invoke("tag", scrape, "--model", model)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Note: skipped 2 file(s) (.pdf 1, no suffix 1) under directories: only .csv .htm .html .jsonl .md .ndjson "
        ".parquet .shtml .text .txt .xhtml files are read there; name a file to tag it"
    ]
    assert {r["doc"] for r in jsonl(result.stdout)} == {str(scrape / "2020" / "a.txt")}
    named = invoke("tag", scrape / "2020" / "0001", "--model", model)
    assert named.exit_code == 0 and named.stderr == ""
    assert {r["doc"] for r in jsonl(named.stdout)} == {str(scrape / "2020" / "0001")}


def test_a_directory_with_nothing_to_tag_fails(tmp_path, model):
    (tmp_path / "scrape").mkdir()
    result = invoke("tag", tmp_path / "scrape", "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {tmp_path / 'scrape'}: no text, HTML or table files in this directory",
        "1 input(s) failed, 0 document(s) tagged",
    ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """300 distinct articles made from the seeds (a number spliced into each copy)."""
    folder = tmp_path_factory.mktemp("corpus")
    for i in range(300):
        text = SEEDS[i % len(SEEDS)].read_text(encoding="utf-8")
        (folder / f"{i:04d}.txt").write_text(text.replace("疫情", f"疫情{i}", 1), encoding="utf-8")
    return folder


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "classifier", *map(str, args)], cwd=ROOT, **kwargs)


def test_jobs_give_the_same_output_in_the_same_order(tmp_path, model, corpus):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert invoke("tag", str(corpus), "-o", str(one), "--model", str(model)).exit_code == 0
    assert run_cli("tag", corpus, "-o", two, "--jobs", 2, "--model", model, check=False).returncode == 0
    assert one.read_bytes() == two.read_bytes()
    assert len({json.loads(line)["doc"] for line in one.open(encoding="utf-8")}) == 300


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path, model, corpus):
    import signal
    import time

    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    assert invoke("tag", str(corpus), "-o", str(full), "--model", str(model)).exit_code == 0
    part = tmp_path / "out.jsonl.part"
    process = subprocess.Popen(
        [sys.executable, "-m", "classifier", "tag", str(corpus), "-o", str(out), "--model", str(model)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while (not part.exists() or part.stat().st_size < 20_000) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "rerun with --resume" in stderr
    assert not out.exists() and part.exists()
    with part.open("ab") as handle:  # a torn last line, as a kill at the wrong moment leaves
        handle.write(b'{"doc": "half')
    result = run_cli("tag", corpus, "-o", out, "--resume", "--model", model, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == full.read_bytes()
    assert not part.exists()


def test_resume_keeps_the_partial_output_when_every_new_input_fails(tmp_path, model, mixed_inputs):
    good, empty, other = mixed_inputs[0], mixed_inputs[1], mixed_inputs[3]
    out = tmp_path / "out.jsonl"
    expected = invoke("tag", good, "--model", model).stdout
    # The last document of a partial file may be incomplete, so resuming drops it: here `other`.
    partial = expected + invoke("tag", other, "--model", model).stdout
    (tmp_path / "out.jsonl.part").write_text(partial, encoding="utf-8")
    result = invoke("tag", good, empty, "-o", out, "--resume", "--model", model)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {empty}: empty file", "1 input(s) failed, 0 document(s) tagged"]
    assert out.read_text(encoding="utf-8") == expected


def test_resume_needs_a_jsonl_output(tmp_path, model, corpus):
    result = invoke("tag", str(corpus), "-o", str(tmp_path / "x.csv"), "--resume", "--model", str(model))
    assert result.exit_code == 2
    assert "--resume needs" in result.stderr


def test_output_into_a_closed_pipe_ends_quietly(model, corpus):
    command = f"{sys.executable} -m classifier tag {corpus} --model {model} | head -n 1"
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, check=False)
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr
