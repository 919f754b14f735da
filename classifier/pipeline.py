"""The scikit-learn pipeline: word and character TF-IDF features, one linear classifier per label."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from .tokens import mask_digits, tokenize

#: Hyper-parameters of the shipped model; `build_pipeline` takes overrides by name.
DEFAULT_PARAMS: dict[str, Any] = {
    "word_ngrams": (1, 2),
    "char_ngrams": (1, 3),
    "min_df": 2,
    "C": 4.0,
    "norm": "l2",
    "binary": False,
}


def build_pipeline(**overrides: Any) -> Pipeline:
    """A fresh, unfitted pipeline with the default hyper-parameters updated by `overrides`."""
    params = {**DEFAULT_PARAMS, **overrides}
    words = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=tuple(params["word_ngrams"]),
        min_df=params["min_df"],
        norm=params["norm"],
        binary=params["binary"],
        sublinear_tf=True,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char",
        preprocessor=mask_digits,
        lowercase=False,
        ngram_range=tuple(params["char_ngrams"]),
        min_df=params["min_df"],
        norm=params["norm"],
        binary=params["binary"],
        sublinear_tf=True,
        dtype=np.float32,
    )
    classifier = LogisticRegression(
        C=params["C"], class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("classify", OneVsRestClassifier(classifier)),
        ]
    )
