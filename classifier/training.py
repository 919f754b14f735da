"""Training and evaluation: grouped cross-validation, per-label thresholds, model directories."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .artifact import save_model
from .corpus import LabelledSentence, read_labelled, sha256_file, validation_problems
from .errors import LabelDataError
from .labels import Label, load_schema

DEFAULT_DATA = Path("labels/sentences.csv")
DEFAULT_SCHEMA = Path("labels/schema.csv")
DEFAULT_OUTPUT = Path("models/default")
DEFAULT_FOLDS = 5
_THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.01), 2)


def indicator(rows: list[LabelledSentence], label_ids: list[str]) -> np.ndarray:
    """The n×k 0/1 matrix of which rows carry which labels.

    >>> indicator([LabelledSentence("1", "t", ("b",))], ["a", "b"]).tolist()
    [[0, 1]]
    """
    return label_matrix([row.labels for row in rows], label_ids)


def label_matrix(label_sets: Sequence[Iterable[str]], label_ids: list[str]) -> np.ndarray:
    """The n×k 0/1 matrix of which labels each of n label lists holds (labels not in `label_ids` ignored).

    >>> label_matrix([["b"], [], ["a", "x"]], ["a", "b"]).tolist()
    [[0, 1], [0, 0], [1, 0]]
    """
    position = {label: k for k, label in enumerate(label_ids)}
    y = np.zeros((len(label_sets), len(label_ids)), dtype=np.int8)
    for i, labels in enumerate(label_sets):
        for label in labels:
            if label in position:
                y[i, position[label]] = 1
    return y


def scores(y_true: np.ndarray, y_pred: np.ndarray, label_ids: list[str]) -> dict[str, Any]:
    """Per-label precision, recall, F1 and support, with micro and macro F1.

    >>> s = scores(np.array([[1, 0], [0, 1]]), np.array([[1, 0], [1, 1]]), ["a", "b"])
    >>> s["per_label"]["a"], s["micro_f1"], s["macro_f1"]
    ({'precision': 0.5, 'recall': 1.0, 'f1': 0.6667, 'support': 1}, 0.8, 0.8333)
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    per_label = {
        label: {
            "precision": round(float(p[k]), 4),
            "recall": round(float(r[k]), 4),
            "f1": round(float(f[k]), 4),
            "support": int(s[k]),
        }
        for k, label in enumerate(label_ids)
    }
    return {
        "per_label": per_label,
        "micro_f1": round(float(f1_score(y_true, y_pred, average="micro", zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
    }


def _lowest_near_best(grid: np.ndarray, values: np.ndarray, window: int, tolerance: float) -> float:
    """The lowest grid point whose value, averaged over `window` points either side, is within `tolerance` of the best.

    >>> _lowest_near_best(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.5, 0.9, 1.0, 1.0]), 0, 0.1)
    0.2
    """
    kernel = np.ones(2 * window + 1) / (2 * window + 1)
    smooth = np.convolve(np.pad(values, window, mode="edge"), kernel, mode="valid")
    return float(grid[np.flatnonzero(smooth >= smooth.max() - tolerance - 1e-12)[0]])


def best_thresholds(y_true: np.ndarray, proba: np.ndarray, window: int = 5, tolerance: float = 0.005) -> np.ndarray:
    """For each label, the lowest cut-off whose smoothed F1 is within `tolerance` of the best.

    F1 is computed on a grid of cut-offs 0.01 apart and averaged over `window` steps either side,
    so the choice does not chase a lucky spike of one fold's noise. Held-out F1 is flat over a wide
    band of cut-offs, and within it the choice is noise; the low end keeps recall on real text,
    which the model scores lower than text like its training rows.
    """
    from sklearn.metrics import f1_score

    chosen = np.empty(y_true.shape[1])
    for k in range(y_true.shape[1]):
        f1s = np.array([f1_score(y_true[:, k], proba[:, k] >= t, zero_division=0) for t in _THRESHOLD_GRID])
        chosen[k] = _lowest_near_best(_THRESHOLD_GRID, f1s, window, tolerance)
    return chosen


def with_neighbour_pairs(
    texts: list[str], y: np.ndarray, groups: list[str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The sentences plus each pair of adjacent sentences of one article joined, with both label sets.

    Real sentences run longer than labelled ones; joined pairs teach the model that a measure inside
    a longer sentence is still a measure. The third value marks which rows are original sentences.

    >>> t, y, single = with_neighbour_pairs(["甲。", "乙。", "丙。"], np.array([[1], [0], [0]]), ["a", "a", "b"])
    >>> t, y.ravel().tolist(), single.tolist()
    (['甲。', '乙。', '丙。', '甲。乙。'], [1, 0, 0, 1], [True, True, True, False])
    """
    pairs = [i for i in range(len(texts) - 1) if groups[i] == groups[i + 1]]
    joined = texts + [texts[i] + texts[i + 1] for i in pairs]
    labels = np.vstack([y, *(np.maximum(y[i], y[i + 1])[None, :] for i in pairs)]) if pairs else y
    single = np.arange(len(joined)) < len(texts)
    return joined, labels, single


def fit_pipeline(texts: list[str], y: np.ndarray, groups: list[str], **params: Any) -> Any:
    """A pipeline fitted on the sentences and their neighbour pairs."""
    from .pipeline import build_pipeline

    joined, labels, _ = with_neighbour_pairs(texts, y, groups)
    return build_pipeline(**params).fit(joined, labels)


def cross_validated_proba(
    rows: list[LabelledSentence], label_ids: list[str], folds: int = DEFAULT_FOLDS, **params: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Out-of-fold probabilities, grouped by `doc` so no article straddles folds.

    Returns (y, probabilities, single, real): held-out sentences and held-out neighbour pairs,
    which rows are single sentences, and which are single sentences of real text (`seed:` rows).
    """
    from sklearn.model_selection import GroupKFold

    texts = [row.text for row in rows]
    y = indicator(rows, label_ids)
    groups = [row.doc for row in rows]
    is_real = np.array([row.source.startswith("seed:") for row in rows])
    parts: list[tuple[np.ndarray, ...]] = []
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(texts, y, groups):
        model = fit_pipeline([texts[i] for i in train_idx], y[train_idx], [groups[i] for i in train_idx], **params)
        held, held_y, single = with_neighbour_pairs(
            [texts[i] for i in test_idx], y[test_idx], [groups[i] for i in test_idx]
        )
        real = np.zeros(len(held), dtype=bool)
        real[: len(test_idx)] = is_real[test_idx]
        parts.append((held_y, model.predict_proba(held), single, real))
    return tuple(np.concatenate(part) for part in zip(*parts))  # type: ignore[return-value]


def real_text_offset(
    y_true: np.ndarray, proba: np.ndarray, thresholds: np.ndarray, window: int = 3, min_rows: int = 50
) -> float:
    """How far to lower every threshold so that held-out real sentences get their best macro-F1.

    The model is surer of text like its authored training rows than of real web text, so
    thresholds tuned on all rows sit too high for real text. One offset for all labels, on a grid
    0.01 apart up to 0.30, smoothed over `window` steps either side; the smallest best offset wins.
    With fewer than `min_rows` real rows, or a label with no real positive, it is 0.

    >>> y = np.array([[1], [1], [0], [0]] * 20)
    >>> p = np.array([[0.45], [0.42], [0.2], [0.1]] * 20)
    >>> real_text_offset(y, p, np.array([0.5]))
    0.11
    """
    from sklearn.metrics import f1_score

    if len(y_true) < min_rows or (y_true.sum(axis=0) == 0).any():
        return 0.0
    grid = np.round(np.arange(0.0, 0.31, 0.01), 2)
    f1s = np.array(
        [f1_score(y_true, proba >= thresholds - offset, average="macro", zero_division=0) for offset in grid]
    )
    return _lowest_near_best(grid, f1s, window, tolerance=0.0)


def load_training_rows(data: str | Path, schema: str | Path) -> tuple[list[Label], list[LabelledSentence]]:
    """The schema and the validated labelled sentences; any problem raises LabelDataError."""
    labels = load_schema(schema)
    rows = read_labelled(data)
    problems = validation_problems(rows, [label.id for label in labels])
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise LabelDataError(f"{data}: {len(problems)} problem(s): {shown}")
    if not rows:
        raise LabelDataError(f"{data}: no labelled sentences")
    return labels, rows


def cross_validate(
    data: str | Path = DEFAULT_DATA, schema: str | Path = DEFAULT_SCHEMA, folds: int = DEFAULT_FOLDS, **params: Any
) -> dict[str, Any]:
    """Grouped cross-validation scores on the training labels, with thresholds tuned out of fold."""
    labels, rows = load_training_rows(data, schema)
    return _cross_validate_rows(rows, [label.id for label in labels], folds, **params)


def _cross_validate_rows(
    rows: list[LabelledSentence], label_ids: list[str], folds: int, **params: Any
) -> dict[str, Any]:
    """Scores on held-out sentences with the thresholds the model will ship with.

    Thresholds are tuned on held-out sentences and neighbour pairs, then lowered by the offset that
    suits the held-out real sentences (see `real_text_offset`).
    """
    y, proba, single, real = cross_validated_proba(rows, label_ids, folds, **params)
    tuned = best_thresholds(y, proba)
    offset = real_text_offset(y[real], proba[real], tuned)
    thresholds = np.clip(tuned - offset, 0.05, 0.95)
    result = scores(y[single], (proba[single] >= thresholds).astype(int), label_ids)
    if real.any():
        result["real_text"] = {
            "rows": int(real.sum()),
            "macro_f1_before_offset": scores(y[real], (proba[real] >= tuned).astype(int), label_ids)["macro_f1"],
            "macro_f1": scores(y[real], (proba[real] >= thresholds).astype(int), label_ids)["macro_f1"],
        }
    result["thresholds"] = dict(zip(label_ids, thresholds.round(2).tolist()))
    result["threshold_offset"] = offset
    result["folds"] = folds
    return result


def train(
    data: str | Path = DEFAULT_DATA,
    schema: str | Path = DEFAULT_SCHEMA,
    output: str | Path = DEFAULT_OUTPUT,
    folds: int = DEFAULT_FOLDS,
    **params: Any,
) -> dict[str, Any]:
    """Cross-validate, fit on all rows, and write a model directory; returns its meta."""
    from .compact import from_pipeline
    from .pipeline import DEFAULT_PARAMS

    started = time.perf_counter()
    labels, rows = load_training_rows(data, schema)
    label_ids = [label.id for label in labels]
    cv = _cross_validate_rows(rows, label_ids, folds, **params)
    y = indicator(rows, label_ids)
    model = from_pipeline(fit_pipeline([row.text for row in rows], y, [row.doc for row in rows], **params))
    meta = {
        "labels": [asdict(label) for label in labels],
        "thresholds": cv.pop("thresholds"),
        "threshold_offset": cv.pop("threshold_offset"),
        "training_data": {
            "file": Path(data).name,
            "sha256": sha256_file(data),
            "rows": len(rows),
            "docs": len({row.doc for row in rows}),
            "none": int((y.sum(axis=1) == 0).sum()),
            "per_label": dict(zip(label_ids, y.sum(axis=0).tolist())),
            "sources": {
                "seed": sum(r.source.startswith("seed:") for r in rows),
                "authored": sum(r.source == "authored" for r in rows),
            },
        },
        "params": {**DEFAULT_PARAMS, **params},
        "cv": cv,
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    return save_model(model, meta, output)


def evaluate_file(predictor: Any, path: str | Path) -> dict[str, Any]:
    """Scores of a predictor on a labelled CSV with `text` and `labels` columns."""
    from .corpus import EVAL_COLUMNS

    rows = read_labelled(path, required=EVAL_COLUMNS)
    if not rows:
        raise LabelDataError(f"{path}: no labelled sentences")
    label_ids = predictor.labels
    unknown = sorted({lab for row in rows for lab in row.labels} - set(label_ids))
    if unknown:
        raise LabelDataError(f"{path}: labels not known to the model: {', '.join(unknown)}")
    predicted = predictor.predict([row.text for row in rows])
    y_pred = label_matrix(predicted, label_ids)
    result = scores(indicator(rows, label_ids), y_pred, label_ids)
    result["rows"] = len(rows)
    return result
