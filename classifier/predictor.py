"""The Predictor: load a model directory and tag sentences, articles and tables."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .segment import split_sentences
from .textnorm import clean_text, normalise

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Where a wheel install keeps the bundled model, inside the package.
BUNDLED_DIR = Path(__file__).with_name("bundled_model")
#: Where a source checkout keeps it.
CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
#: Sentences sent to the model in one call when tagging many articles.
BATCH_SENTENCES = 1024


def default_model_dir() -> Path:
    """The bundled model: inside the installed package, else `models/default` of the checkout."""
    return BUNDLED_DIR if BUNDLED_DIR.is_dir() else CHECKOUT_DIR


@dataclass(frozen=True)
class Sentence:
    """One tagged sentence of an article."""

    index: int
    text: str
    labels: list[str]
    scores: dict[str, float]


@dataclass
class Article:
    """A tagged article: its sentences in order."""

    sentences: list[Sentence]
    label_ids: list[str] = field(repr=False)

    def summary(self) -> dict[str, int]:
        """How many sentences carry each label."""
        return {label: sum(label in s.labels for s in self.sentences) for label in self.label_ids}

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle the sentences as plain tuples: half the time of pickling dataclasses, for `--jobs`."""
        rows = [(s.index, s.text, s.labels, s.scores) for s in self.sentences]
        return _article_from_tuples, (rows, self.label_ids)


def _article_from_tuples(rows: list[tuple[Any, ...]], label_ids: list[str]) -> Article:
    """Rebuild a pickled Article."""
    return Article([Sentence(*row) for row in rows], label_ids)


def _term(feature: str) -> str:
    """A readable feature name: words as they are, character n-grams in corner brackets.

    >>> _term("words__核酸检测"), _term("chars__酸检")
    ('核酸检测', '「酸检」')
    """
    kind, _, term = str(feature).partition("__")
    return f"「{term}」" if kind == "chars" else term


def _check_texts(texts: Iterable[str]) -> list[str]:
    """The texts as a list, refusing a bare string and anything that is not a string."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("expected a list of strings, got a single string (wrap it in a list)")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"item {i} is {type(text).__name__}, expected str")
    return texts


class Predictor:
    """Tags Chinese sentences with policy-measure labels using a trained model directory."""

    def __init__(self, model: Any, meta: dict[str, Any], threshold: float | None = None) -> None:
        self.model = model
        self.meta = meta
        self.threshold = threshold
        self._explain_lock = threading.Lock()
        self._feature_names: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """The model, its meta and the threshold: what a worker process needs (locks do not pickle)."""
        return {"model": self.model, "meta": self.meta, "threshold": self.threshold}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild a predictor from `__getstate__` output."""
        self.__init__(state["model"], state["meta"], state["threshold"])  # type: ignore[misc]

    @classmethod
    def load(cls, path: str | Path | None = None, threshold: float | None = None) -> Predictor:
        """Load a model directory (the bundled model by default), checking its hash and versions."""
        from .artifact import load_model

        model, meta = load_model(Path(path) if path is not None else default_model_dir())
        return cls(model, meta, threshold)

    @property
    def labels(self) -> list[str]:
        """The label ids, in the model's order."""
        return [label["id"] for label in self.meta["labels"]]

    @property
    def thresholds(self) -> dict[str, float]:
        """The probability cut-off of each label (one value for all when `threshold` is set)."""
        if self.threshold is not None:
            return dict.fromkeys(self.labels, float(self.threshold))
        return {label: float(self.meta["thresholds"][label]) for label in self.labels}

    def _proba(self, texts: list[str], normalised: bool = False) -> np.ndarray:
        """Probabilities, n×k, for checked texts (cleaned first unless `normalised`); content-free texts score 0."""
        import numpy as np

        cleaned = texts if normalised else [clean_text(t) for t in texts]
        proba = np.zeros((len(cleaned), len(self.labels)))
        keep = [i for i, t in enumerate(cleaned) if any(c.isalnum() for c in t)]
        for start in range(0, len(keep), BATCH_SENTENCES):
            rows = keep[start : start + BATCH_SENTENCES]
            proba[rows] = self.model.predict_proba([cleaned[i] for i in rows])
        return proba

    def _decide(self, proba: np.ndarray) -> list[list[str]]:
        """Label lists from probabilities and thresholds."""
        cut = [self.thresholds[label] for label in self.labels]
        return [[lab for lab, p, c in zip(self.labels, row, cut) if p >= c] for row in proba]

    def predict_proba(self, texts: Iterable[str]) -> pd.DataFrame:
        """One row per text, one probability column per label id."""
        import pandas as pd

        texts = _check_texts(texts)
        return pd.DataFrame(self._proba(texts), columns=self.labels)

    def predict(self, texts: Iterable[str]) -> list[list[str]]:
        """The labels of each sentence: a list of label ids per text (empty for none)."""
        return self._decide(self._proba(_check_texts(texts)))

    def tag(self, text: str) -> Article:
        """Normalise, segment and tag one article."""
        return next(self.tag_many([text]))

    def tag_many(self, texts: Iterable[str], batch_sentences: int = BATCH_SENTENCES) -> Iterator[Article]:
        """Tag articles lazily, in order, sending sentences to the model in large batches."""
        pending: list[list[str]] = []
        size = 0
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"expected str articles, got {type(text).__name__}")
            sentences = split_sentences(normalise(text))
            pending.append(sentences)
            size += len(sentences)
            if size >= batch_sentences:
                yield from self._tag_batch(pending)
                pending, size = [], 0
        yield from self._tag_batch(pending)

    def _tag_batch(self, articles: list[list[str]]) -> Iterator[Article]:
        """Tag the sentences of several articles in one model call."""
        flat = [s for sentences in articles for s in sentences]
        proba = self._proba(flat, normalised=True)
        labels = self._decide(proba)
        position = 0
        for sentences in articles:
            tagged = [
                Sentence(
                    i,
                    text,
                    labels[position + i],
                    {lab: round(float(p), 4) for lab, p in zip(self.labels, proba[position + i])},
                )
                for i, text in enumerate(sentences)
            ]
            position += len(sentences)
            yield Article(tagged, self.labels)

    def explain(self, text: str, top: int = 5) -> dict[str, list[tuple[str, float]]]:
        """For each label, the `top` features of `text` that weighed most towards it."""
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        with self._explain_lock:
            if self._feature_names is None:
                self._feature_names = self.model.feature_names()
        _, cols, values = self.model.features([clean_text(text)])
        out: dict[str, list[tuple[str, float]]] = {}
        for k, label in enumerate(self.labels):
            weights = self.model.coef[k, cols] * values
            order = weights.argsort()[::-1][:top]
            out[label] = [(_term(self._feature_names[cols[j]]), round(float(weights[j]), 4)) for j in order]
        return out

    def tag_frame(self, frame: pd.DataFrame, text: str = "text") -> pd.DataFrame:
        """A table of articles in, one row per sentence out, the other columns carried along."""
        import pandas as pd

        if text not in frame.columns:
            raise KeyError(f"no column {text!r}; columns are {list(frame.columns)}")
        others = [c for c in frame.columns if c != text]
        records: list[dict[str, Any]] = []
        values = ["" if not isinstance(v, str) else v for v in frame[text].tolist()]
        for (_, row), article in zip(frame[others].iterrows(), self.tag_many(values)):
            carried = row.to_dict()
            for s in article.sentences:
                records.append(
                    {
                        **carried,
                        "index": s.index,
                        text: s.text,
                        "labels": s.labels,
                        **{f"score_{lab}": s.scores[lab] for lab in self.labels},
                    }
                )
        columns = [*others, "index", text, "labels", *(f"score_{lab}" for lab in self.labels)]
        return pd.DataFrame.from_records(records, columns=columns)
