"""Batch tagging: output records for articles, and tagging across worker processes in input order."""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from .predictor import Article, Predictor

#: Documents sent to a worker process in one task.
CHUNK_DOCS = 32
#: The reason reported for an article with nothing left to tag.
NO_SENTENCES = "no sentences to tag (nothing left after normalisation)"
_worker: Predictor | None = None


def article_record(doc: Any, article: Article, extra: dict[str, Any]) -> dict[str, Any]:
    """One output row for a whole article: per-label sentence counts and shares."""
    counts = article.summary()
    n = len(article.sentences)
    return {
        "doc": doc,
        "sentences": n,
        "labels": [label for label, count in counts.items() if count],
        **{f"n_{label}": count for label, count in counts.items()},
        **{f"share_{label}": round(count / n, 4) if n else 0.0 for label, count in counts.items()},
        **{k: v for k, v in extra.items() if k not in ("doc", "sentences", "labels")},
    }


def sentence_records(doc: Any, article: Article, extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Output rows for each sentence of an article, carried columns after the tags."""
    carried = {k: v for k, v in extra.items() if k not in ("doc", "index", "text", "labels", "scores")}
    return [
        {"doc": doc, "index": s.index, "text": s.text, "labels": s.labels, "scores": s.scores, **carried}
        for s in article.sentences
    ]


def records_for(doc: Any, article: Article, extra: dict[str, Any], level: str) -> list[dict[str, Any]]:
    """The output rows of a tagged article: one for the whole article at `level` "article", else one per sentence."""
    return [article_record(doc, article, extra)] if level == "article" else sentence_records(doc, article, extra)


def _start_worker(predictor: Predictor) -> None:
    """Keep the parent's predictor in a worker process; Ctrl-C is left to the parent.

    Forked workers inherit the loaded model as it is; other start methods receive it pickled.
    """
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = predictor


def _tag_chunk(texts: list[str]) -> list[Article]:
    """Tag a chunk of articles in a worker process."""
    assert _worker is not None, "worker not initialised"
    return list(_worker.tag_many(texts))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of up to `size` items.

    >>> list(_chunks(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def tag_parallel(texts: Iterable[str], predictor: Predictor, jobs: int) -> Iterator[Article]:
    """Tag articles with `predictor` in `jobs` worker processes, in input order with bounded memory."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(predictor,)) as pool:
        pending: deque[Any] = deque()
        try:
            for chunk in _chunks(texts, CHUNK_DOCS):
                pending.append(pool.submit(_tag_chunk, chunk))
                while len(pending) > 2 * jobs:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
