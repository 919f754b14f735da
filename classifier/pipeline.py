"""The scikit-learn pipeline: word and character TF-IDF features, one linear classifier per label."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from .tokens import mask_digits, tokenize

#: Hyper-parameters of the shipped model; `build_pipeline` takes overrides by name.
DEFAULT_PARAMS: dict[str, Any] = {
    "word_ngrams": (1, 1),
    "char_ngrams": (1, 2),
    "min_df": 2,
    "C": 4.0,
    "norm": "l2",
    "binary": False,
    "cue_weight": 0.5,
    "class_weight": "balanced",
}


def load_cues() -> dict[str, list[str]]:
    """The cue terms of each category from the package's data file."""
    text = resources.files("classifier").joinpath("data/cues.txt").read_text(encoding="utf-8")
    cues: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            label, _, terms = line.partition(":")
            cues[label.strip()] = terms.split()
    return cues


class CueCounts(TransformerMixin, BaseEstimator):
    """Per category, log(1 + number of its cue terms in the text): one dense column per category."""

    def __init__(self, cues: dict[str, list[str]] | None = None) -> None:
        self.cues = cues

    def fit(self, texts: Any, y: Any = None) -> CueCounts:
        """Fix the cue terms (the package's list unless given) and compile their matcher."""
        self.cues_ = dict(self.cues) if self.cues is not None else load_cues()
        self.categories_ = list(self.cues_)
        self.term_columns_: dict[str, list[int]] = {}
        for column, terms in enumerate(self.cues_.values()):
            for term in terms:
                self.term_columns_.setdefault(term, []).append(column)
        terms = sorted(self.term_columns_, key=len, reverse=True)
        self.pattern_ = re.compile("|".join(map(re.escape, terms)))
        return self

    def transform(self, texts: Any) -> np.ndarray:
        """The count matrix, one row per text."""
        out = np.zeros((len(texts), len(self.categories_)), dtype=np.float32)
        for i, text in enumerate(texts):
            for term in self.pattern_.findall(text):
                out[i, self.term_columns_[term]] += 1
        return np.log1p(out)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """One name per category: `cues:<label>`."""
        return np.array([f"cues:{label}" for label in self.categories_], dtype=object)


def build_pipeline(**overrides: Any) -> Pipeline:
    """A fresh, unfitted pipeline with the default hyper-parameters updated by `overrides`."""
    params = {**DEFAULT_PARAMS, **overrides}
    shared = {
        "lowercase": False,
        "min_df": params["min_df"],
        "norm": params["norm"],
        "binary": params["binary"],
        "sublinear_tf": True,
        "dtype": np.float32,
    }
    words = TfidfVectorizer(tokenizer=tokenize, token_pattern=None, ngram_range=tuple(params["word_ngrams"]), **shared)
    chars = TfidfVectorizer(
        analyzer="char", preprocessor=mask_digits, ngram_range=tuple(params["char_ngrams"]), **shared
    )
    classifier = LogisticRegression(
        C=params["C"], class_weight=params["class_weight"], solver="liblinear", max_iter=2000, random_state=0
    )
    features = FeatureUnion(
        [("words", words), ("chars", chars), ("cues", CueCounts())],
        transformer_weights={"words": 1.0, "chars": 1.0, "cues": params["cue_weight"]},
    )
    return Pipeline(
        [
            ("features", features),
            ("classify", OneVsRestClassifier(classifier)),
        ]
    )
