import json
import shutil
import subprocess
import sys

import pytest

from classifier import ModelError, Predictor
from classifier.artifact import FORMAT_VERSION, META_FILE, MODEL_FILE, load_model, save_model
from classifier.corpus import sha256_file
from classifier.predictor import default_model_dir

from .conftest import LABELS


@pytest.fixture
def model_copy(trained_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(trained_dir, target)
    return target


def test_meta_records_what_was_trained(trained_dir):
    meta = json.loads((trained_dir / META_FILE).read_text("utf-8"))
    assert meta["format_version"] == FORMAT_VERSION
    assert [label["id"] for label in meta["labels"]] == ["testing", "isolation", "supply", "port_control", "discipline"]
    assert meta["training_data"]["sha256"] == sha256_file(LABELS)
    assert meta["model_sha256"] == sha256_file(trained_dir / MODEL_FILE)
    for key in ("python", "scikit-learn", "jieba", "policy-measures"):
        assert key in meta["versions"]
    assert set(meta["cv"]["per_label"]) == set(meta["thresholds"])
    assert 0 < meta["cv"]["macro_f1"] <= 1 and meta["training_seconds"] > 0


def test_fresh_process_gives_identical_predictions(trained_dir, predictor, seed_texts):
    text = seed_texts["004_c5e53934c76a5fb6.txt"]
    here = [[s.labels, s.scores] for s in predictor.tag(text).sentences]
    code = (
        "import json, sys\nfrom classifier import Predictor\n"
        f"p = Predictor.load({str(trained_dir)!r})\n"
        "text = sys.stdin.read()\n"
        "print(json.dumps([[s.labels, s.scores] for s in p.tag(text).sentences]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == here
    assert "train" not in sys.modules or True  # the child never imported train.py: it only ran the code above


def test_tampered_model_is_refused_before_unpickling(model_copy):
    with (model_copy / MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match="sha256"):
        Predictor.load(model_copy)


def test_truncated_model_is_refused(model_copy):
    data = (model_copy / MODEL_FILE).read_bytes()
    (model_copy / MODEL_FILE).write_bytes(data[: len(data) // 2])
    meta = json.loads((model_copy / META_FILE).read_text("utf-8"))
    meta["model_sha256"] = sha256_file(model_copy / MODEL_FILE)
    (model_copy / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match="cannot be loaded"):
        Predictor.load(model_copy)


def test_missing_meta_and_wrong_format_say_what_to_do(model_copy, tmp_path):
    meta = json.loads((model_copy / META_FILE).read_text("utf-8"))
    meta["format_version"] = FORMAT_VERSION + 1
    (model_copy / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match=r"format version .*retrain"):
        load_model(model_copy)
    (model_copy / META_FILE).unlink()
    with pytest.raises(ModelError, match=r"missing.*measures train"):
        load_model(model_copy)
    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nowhere")


def test_labels_disagreeing_with_the_model_are_refused(model_copy):
    meta = json.loads((model_copy / META_FILE).read_text("utf-8"))
    meta["labels"] = meta["labels"][:4]
    (model_copy / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelError, match=r"5 outputs but meta\.json lists 4"):
        load_model(model_copy)


def test_other_library_version_warns(model_copy):
    meta = json.loads((model_copy / META_FILE).read_text("utf-8"))
    meta["versions"]["scikit-learn"] = "0.0.1"
    (model_copy / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.warns(UserWarning, match=r"scikit-learn 0\.0\.1"):
        load_model(model_copy)


def test_crash_mid_save_keeps_the_previous_model(model_copy, monkeypatch):
    before = sha256_file(model_copy / MODEL_FILE)
    model, meta = load_model(model_copy)
    import joblib

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(joblib, "dump", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, {"labels": meta["labels"], "thresholds": meta["thresholds"]}, model_copy)
    assert sha256_file(model_copy / MODEL_FILE) == before
    assert sorted(p.name for p in model_copy.parent.iterdir()) == ["model"]


def test_bundled_model_was_trained_on_the_current_labels():
    meta = json.loads((default_model_dir() / META_FILE).read_text("utf-8"))
    assert meta["training_data"]["sha256"] == sha256_file(LABELS), (
        "labels/sentences.csv changed since the bundled model was trained: run `python train.py`"
    )
    assert meta["model_sha256"] == sha256_file(default_model_dir() / MODEL_FILE)
