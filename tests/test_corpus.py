from collections import Counter

import pytest

from classifier.corpus import near_duplicates, read_labelled, validation_problems
from classifier.labels import load_schema
from classifier.segment import split_sentences
from classifier.textnorm import normalise

from .conftest import LABELS, SCHEMA, SEEDS


@pytest.fixture(scope="module")
def rows():
    return read_labelled(LABELS)


@pytest.fixture(scope="module")
def label_ids():
    return [label.id for label in load_schema(SCHEMA)]


def test_file_is_valid(rows, label_ids):
    assert validation_problems(rows, label_ids) == []


def test_size_and_balance(rows, label_ids):
    assert len(rows) >= 2000
    counts = Counter(label for row in rows for label in row.labels)
    for label in label_ids:
        assert counts[label] >= 250, (label, counts[label])
    assert sum(not row.labels for row in rows) >= 0.40 * len(rows)


def test_every_row_says_where_it_came_from(rows):
    sources = Counter(row.source.split(":")[0] for row in rows)
    assert set(sources) == {"seed", "authored"}
    assert {row.source for row in rows if row.source.startswith("seed:")} == {f"seed:{p.name}" for p in SEEDS}


def test_every_seed_sentence_is_labelled(rows):
    for path in SEEDS:
        expected = split_sentences(normalise(path.read_text(encoding="utf-8")))
        got = [row.text for row in rows if row.source == f"seed:{path.name}"]
        assert got == expected, path.name


def test_authored_docs_are_short_articles(rows):
    sizes = Counter(row.doc for row in rows if row.source == "authored")
    assert all(3 <= n <= 15 for n in sizes.values()), [d for d, n in sizes.items() if not 3 <= n <= 15]


def test_no_near_duplicate_authored_rows(rows):
    texts = [row.text for row in rows if row.source == "authored"]
    pairs = near_duplicates(texts, share=0.8)
    assert pairs == [], [(texts[i], texts[j]) for i, j, _ in pairs[:5]]


def test_validation_catches_problems(label_ids):
    from classifier.corpus import LabelledSentence

    bad = [
        LabelledSentence("1", "全员核酸检测。", ("testing",), "authored", "d"),
        LabelledSentence("1", "全员核酸检测。", ("isolation",), "seed:x.txt", "d"),
        LabelledSentence("3", "", ("vaccines",), "copied", ""),
    ]
    problems = validation_problems(bad, label_ids)
    assert len(problems) == 6
    assert any("with other labels" in p for p in problems)
