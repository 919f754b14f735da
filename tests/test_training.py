import json

import numpy as np
import pytest

from classifier.errors import LabelDataError
from classifier.predictor import default_model_dir
from classifier.training import (
    best_thresholds,
    evaluate_file,
    indicator,
    load_training_rows,
    real_text_offset,
    scores,
)

from .conftest import DEV, LABELS, SCHEMA


def test_best_thresholds_separate_the_classes():
    y = np.array([[1], [1], [0], [0]])
    proba = np.array([[0.9], [0.35], [0.3], [0.1]])
    assert 0.3 < best_thresholds(y, proba, window=0)[0] <= 0.35


def test_best_thresholds_stay_inside_a_sharp_plateau():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(200), np.zeros(200)].astype(int)[:, None]
    proba = np.r_[rng.uniform(0.55, 1.0, 200), rng.uniform(0.0, 0.45, 200)][:, None]
    assert 0.45 <= best_thresholds(y, proba)[0] <= 0.55


def test_best_thresholds_take_the_low_end_of_a_flat_plateau():
    y = np.r_[np.ones(300), np.zeros(300)].astype(int)[:, None]
    # positives spread over 0.3-1.0 with a few negatives up there too: F1 barely moves between 0.3 and 0.7
    proba = np.r_[np.linspace(0.3, 1.0, 300), np.linspace(0.0, 0.25, 290), np.linspace(0.3, 0.7, 10)][:, None]
    assert best_thresholds(y, proba, window=0, tolerance=0.0)[0] > best_thresholds(y, proba, window=0)[0]
    assert best_thresholds(y, proba)[0] == pytest.approx(0.26, abs=0.03)


def test_real_text_offset_lowers_thresholds_only_for_enough_real_rows():
    y = np.array([[1, 0], [0, 1], [0, 0], [1, 1]] * 25)
    proba = np.where(y == 1, 0.4, 0.15)
    assert real_text_offset(y, proba, np.array([0.5, 0.5])) == pytest.approx(0.1, abs=0.05)
    assert real_text_offset(y[:40], proba[:40], np.array([0.5, 0.5])) == 0.0
    assert real_text_offset(y, np.where(y == 1, 0.6, 0.15), np.array([0.5, 0.5])) == 0.0
    assert real_text_offset(y[:, :1] * 0, proba[:, :1], np.array([0.5])) == 0.0


def test_scores_per_label_and_averages():
    result = scores(np.array([[1, 0], [0, 1], [0, 0]]), np.array([[1, 0], [0, 0], [1, 0]]), ["a", "b"])
    assert result["per_label"]["a"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert result["per_label"]["b"]["f1"] == 0.0
    assert result["macro_f1"] == pytest.approx(0.3333, abs=1e-4)


def test_training_rows_are_validated(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,labels,source,doc\n1,核酸检测。,testing,web,d\n", "utf-8")
    with pytest.raises(LabelDataError, match="source must be"):
        load_training_rows(bad, SCHEMA)
    labels, rows = load_training_rows(LABELS, SCHEMA)
    assert indicator(rows, [label.id for label in labels]).shape == (len(rows), 5)


def test_bundled_model_grouped_cv_quality():
    meta = json.loads((default_model_dir() / "meta.json").read_text("utf-8"))
    assert meta["cv"]["macro_f1"] >= 0.85, meta["cv"]
    assert all(0.1 <= t <= 0.9 for t in meta["thresholds"].values())
    assert 0.0 <= meta["threshold_offset"] <= 0.3
    real = meta["cv"]["real_text"]
    assert real["rows"] == meta["training_data"]["sources"]["seed"]
    assert real["macro_f1"] >= real["macro_f1_before_offset"]


#: The issue's target for the held-out dev set; the bundled model reached 0.818 when this was set.
DEV_MACRO_F1_FLOOR = 0.80


@pytest.mark.skipif(not DEV.exists(), reason="../shared/eval/dev.csv is not present")
def test_bundled_model_on_the_held_out_dev_set(bundled):
    result = evaluate_file(bundled, DEV)
    assert result["rows"] > 500
    assert result["macro_f1"] >= DEV_MACRO_F1_FLOOR, result
    assert all(s["f1"] >= 0.6 for s in result["per_label"].values()), result


def test_evaluate_file_refuses_unknown_labels(bundled, tmp_path):
    path = tmp_path / "eval.csv"
    path.write_text("id,text,labels\n1,全员核酸检测。,vaccination\n", "utf-8")
    with pytest.raises(LabelDataError, match="vaccination"):
        evaluate_file(bundled, path)
