"""Labelled sentences: reading, validating, hashing and checking for near-duplicates."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .labels import parse_labels, read_csv_rows

CORPUS_COLUMNS = ("id", "text", "labels", "source", "doc")
EVAL_COLUMNS = ("text", "labels")
_SOURCE_RE = re.compile(r"^(?:authored|seed:\S+)$")


@dataclass(frozen=True)
class LabelledSentence:
    """One row of a labelled CSV."""

    id: str
    text: str
    labels: tuple[str, ...]
    source: str = ""
    doc: str = ""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_labelled(path: str | Path, required: tuple[str, ...] = CORPUS_COLUMNS) -> list[LabelledSentence]:
    """Read a labelled CSV; `required` names the columns it must have."""
    return [
        LabelledSentence(
            id=(row.get("id") or str(n)).strip(),
            text=(row["text"] or "").strip(),
            labels=parse_labels(row["labels"] or ""),
            source=(row.get("source") or "").strip(),
            doc=(row.get("doc") or row.get("id") or str(n)).strip(),
        )
        for n, row in enumerate(read_csv_rows(path, required), start=1)
    ]


def validation_problems(rows: list[LabelledSentence], label_ids: list[str]) -> list[str]:
    """Every problem with a training corpus: unknown ids, bad sources, duplicate or conflicting texts.

    >>> rows = [LabelledSentence("1", "甲", ("testing",), "authored", "d1"),
    ...         LabelledSentence("2", "甲", ("supply",), "web", "d1")]
    >>> for p in validation_problems(rows, ["testing"]): print(p)
    row 2: unknown label(s) supply
    row 2: source must be 'authored' or 'seed:<file>', got 'web'
    row 2: text also in row 1 with other labels
    """
    known = set(label_ids)
    problems: list[str] = []
    first: dict[str, LabelledSentence] = {}
    ids: set[str] = set()
    for row in rows:
        where = f"row {row.id}"
        if row.id in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(row.id)
        if not row.text:
            problems.append(f"{where}: empty text")
        unknown = [label for label in row.labels if label not in known]
        if unknown:
            problems.append(f"{where}: unknown label(s) {', '.join(unknown)}")
        if not _SOURCE_RE.match(row.source):
            problems.append(f"{where}: source must be 'authored' or 'seed:<file>', got {row.source!r}")
        if not row.doc:
            problems.append(f"{where}: empty doc")
        earlier = first.setdefault(row.text, row)
        if earlier is not row:
            same = set(earlier.labels) == set(row.labels)
            problems.append(f"{where}: text also in row {earlier.id}" + ("" if same else " with other labels"))
    return problems


def char_ngrams(text: str, n: int = 5) -> set[str]:
    """The set of character n-grams of a text, punctuation and spaces removed.

    >>> sorted(char_ngrams("核酸，检测", 3))
    ['核酸检', '酸检测']
    """
    plain = re.sub(r"[\W_]", "", text)
    return {plain[i : i + n] for i in range(len(plain) - n + 1)}


def near_duplicates(texts: list[str], share: float = 0.5, n: int = 5) -> list[tuple[int, int, float]]:
    """Pairs (i, j, overlap) whose shorter text has at least `share` of its n-grams in the other.

    >>> near_duplicates(["全区开展全员核酸检测工作", "全区开展全员核酸检测工作。", "封控区实行足不出户"])
    [(0, 1, 1.0)]
    """
    grams = [char_ngrams(t, n) for t in texts]
    index: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for gram in g:
            index.setdefault(gram, []).append(i)
    pairs: list[tuple[int, int, float]] = []
    for i, g in enumerate(grams):
        if not g:
            continue
        counts: dict[int, int] = {}
        for gram in g:
            for j in index[gram]:
                if j > i:
                    counts[j] = counts.get(j, 0) + 1
        for j, common in counts.items():
            overlap = common / min(len(g), len(grams[j]))
            if overlap >= share:
                pairs.append((i, j, round(overlap, 3)))
    return pairs
