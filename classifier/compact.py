"""A fitted pipeline reduced to its numbers, scored with numpy alone.

Loading scikit-learn costs about a second, more than tagging a short article. The saved model is
therefore this reduction of the fitted pipeline: the TF-IDF vocabularies and idf weights, the cue
matcher, and each label's linear coefficients. It scores exactly as the pipeline does (a test
checks the probabilities agree) while importing only numpy.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from .tokens import mask_digits, tokenize

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's character analyzer folds runs of spaces


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams of `text` for n in [low, high], as scikit-learn's "char" analyzer makes them.

    >>> char_ngrams("核酸检测", 1, 2)
    ['核', '酸', '检', '测', '核酸', '酸检', '检测']
    """
    text = _WHITE_SPACES.sub(" ", text)
    return [text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """Word n-grams joined by spaces, as scikit-learn's "word" analyzer makes them.

    >>> word_ngrams(["全员", "核酸", "检测"], 1, 2)
    ['全员', '核酸', '检测', '全员 核酸', '核酸 检测']
    """
    return [" ".join(tokens[i : i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]


class TfidfBlock:
    """One TF-IDF vectoriser's vocabulary and idf weights, placed at `offset` in the feature space."""

    def __init__(
        self,
        name: str,
        analyzer: str,
        ngram_range: tuple[int, int],
        vocabulary: dict[str, int],
        idf: np.ndarray,
        sublinear_tf: bool,
        norm: str | None,
        weight: float,
        offset: int,
    ) -> None:
        self.name = name
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.vocabulary = vocabulary
        self.idf = idf
        self.sublinear_tf = sublinear_tf
        self.norm = norm
        self.weight = weight
        self.offset = offset

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the vocabulary as one string: a dict of 100,000 strings unpickles slowly."""
        state = self.__dict__.copy()
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        if any("\0" in term for term in ordered):
            raise ValueError(f"{self.name}: a vocabulary term contains a NUL character")
        state["vocabulary"] = "\0".join(ordered)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the vocabulary dict from its joined form."""
        terms = state["vocabulary"].split("\0") if state["vocabulary"] else []
        self.__dict__.update(state, vocabulary=dict(zip(terms, range(len(terms)))))

    def terms(self, text: str) -> list[str]:
        """The n-grams of a text, before vocabulary look-up."""
        low, high = self.ngram_range
        if self.analyzer == "char":
            return char_ngrams(mask_digits(text), low, high)
        return word_ngrams(tokenize(text), low, high)

    def batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, global feature indices and TF-IDF values (normalised per text, weighted) of a batch."""
        rows: list[int] = []
        index: list[int] = []
        tf: list[int] = []
        lookup = self.vocabulary.get
        for row, text in enumerate(texts):
            counts = Counter(map(lookup, self.terms(text)))
            counts.pop(None, None)  # terms outside the vocabulary
            rows.extend([row] * len(counts))
            index.extend(counts.keys())
            tf.extend(counts.values())
        row_ids = np.array(rows, dtype=np.int64)
        cols = np.array(index, dtype=np.int64)
        values = np.array(tf, dtype=np.float64)
        if self.sublinear_tf:
            values = 1.0 + np.log(values)
        values *= self.idf[cols]
        if self.norm in ("l1", "l2"):
            size = values**2 if self.norm == "l2" else np.abs(values)
            total = np.bincount(row_ids, weights=size, minlength=len(texts))
            total = np.sqrt(total) if self.norm == "l2" else total
            total[total == 0] = 1.0
            values /= total[row_ids]
        return row_ids, cols + self.offset, values * self.weight

    def names(self) -> list[str]:
        """Feature names in index order, prefixed by the block name."""
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return [f"{self.name}__{term}" for term in ordered]


class CueBlock:
    """The cue-term counter: log(1 + cues found) per category, placed at `offset`."""

    def __init__(
        self,
        name: str,
        pattern: str,
        term_columns: dict[str, list[int]],
        categories: list[str],
        weight: float,
        offset: int,
    ) -> None:
        self.name = name
        self.pattern = re.compile(pattern)
        self.term_columns = term_columns
        self.categories = categories
        self.weight = weight
        self.offset = offset

    def batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, global feature indices and weighted values of a batch."""
        counts = np.zeros((len(texts), len(self.categories)))
        for row, text in enumerate(texts):
            for term in self.pattern.findall(text):
                counts[row, self.term_columns[term]] += 1
        rows, cols = np.nonzero(counts)
        return rows, cols + self.offset, np.log1p(counts[rows, cols]) * self.weight

    def names(self) -> list[str]:
        """One feature name per category."""
        return [f"{self.name}__cues:{category}" for category in self.categories]


class LinearTextModel:
    """Linear multi-label scorer over TF-IDF and cue features: probability = sigmoid(x·w + b) per label."""

    def __init__(self, blocks: list[Any], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.blocks = blocks
        self.coef = coef
        self.intercept = intercept

    @property
    def classes_(self) -> np.ndarray:
        """One output per label, as scikit-learn's multi-label classifiers number them."""
        return np.arange(self.coef.shape[0])

    def features(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, global feature indices and values of a batch of texts, all blocks together."""
        parts = [block.batch(texts) for block in self.blocks]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Per text and label, the probability that the label applies."""
        rows, cols, values = self.features(list(texts))
        logits = (
            np.column_stack(
                [
                    np.bincount(rows, weights=self.coef[k, cols] * values, minlength=len(texts))
                    for k in range(len(self.coef))
                ]
            )
            if len(texts)
            else np.empty((0, len(self.coef)))
        )
        return 1.0 / (1.0 + np.exp(-(logits + self.intercept)))

    def feature_names(self) -> list[str]:
        """Every feature's name, in index order."""
        return [name for block in self.blocks for name in block.names()]


def from_pipeline(pipeline: Any) -> LinearTextModel:
    """Reduce a fitted `build_pipeline()` pipeline to a LinearTextModel that scores identically."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .pipeline import CueCounts

    union = pipeline.named_steps["features"]
    weights = union.transformer_weights or {}
    blocks: list[Any] = []
    offset = 0
    for name, part in union.transformer_list:
        weight = float(weights.get(name, 1.0))
        if isinstance(part, TfidfVectorizer):
            if part.analyzer == "char" and part.preprocessor is not mask_digits:
                raise ValueError(f"{name}: only the mask_digits preprocessor is supported")
            if part.analyzer == "word" and part.tokenizer is not tokenize:
                raise ValueError(f"{name}: only the package tokenizer is supported")
            vocabulary = {term: int(i) for term, i in part.vocabulary_.items()}
            blocks.append(
                TfidfBlock(
                    name,
                    part.analyzer,
                    tuple(part.ngram_range),
                    vocabulary,
                    part.idf_.astype(np.float64),
                    part.sublinear_tf,
                    part.norm,
                    weight,
                    offset,
                )
            )
            offset += len(vocabulary)
        elif isinstance(part, CueCounts):
            blocks.append(
                CueBlock(name, part.pattern_.pattern, part.term_columns_, list(part.categories_), weight, offset)
            )
            offset += len(part.categories_)
        else:
            raise ValueError(f"{name}: cannot reduce a {type(part).__name__}")
    estimators = pipeline.named_steps["classify"].estimators_
    coef = np.vstack([e.coef_.ravel() for e in estimators]).astype(np.float64)
    intercept = np.array([float(e.intercept_[0]) for e in estimators])
    if coef.shape[1] != offset:
        raise ValueError(f"the classifier has {coef.shape[1]} inputs, the features {offset}")
    return LinearTextModel(blocks, coef, intercept)
