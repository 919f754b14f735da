import pickle
import subprocess
import sys

import numpy as np
import pytest

from classifier.compact import from_pipeline
from classifier.segment import split_sentences
from classifier.textnorm import normalise
from classifier.training import fit_pipeline, indicator, load_training_rows

from .conftest import LABELS, SCHEMA


@pytest.fixture(scope="module")
def fitted():
    labels, rows = load_training_rows(LABELS, SCHEMA)
    rows = rows[::3]
    y = indicator(rows, [label.id for label in labels])
    return fit_pipeline([row.text for row in rows], y, [row.doc for row in rows])


def test_reduced_model_scores_exactly_like_the_pipeline(fitted, seed_texts):
    texts = [s for text in seed_texts.values() for s in split_sentences(normalise(text))]
    texts += ["", "   ", "核酸  检测\t隔离", "😷口罩！！", "\x07控制字符", "a" * 5000]
    reduced = pickle.loads(pickle.dumps(from_pipeline(fitted)))
    assert np.allclose(reduced.predict_proba(texts), fitted.predict_proba(texts), atol=1e-6)
    assert reduced.predict_proba([]).shape == (0, 5)


def test_feature_names_line_up_with_the_pipeline(fitted):
    reduced = from_pipeline(fitted)
    assert reduced.feature_names() == list(fitted.named_steps["features"].get_feature_names_out())


def test_loading_a_model_imports_neither_scikit_learn_nor_pandas(trained_dir):
    code = (
        "import sys\nfrom classifier import Predictor\n"
        f"p = Predictor.load({str(trained_dir)!r})\n"
        "p.tag('各地开展全员核酸检测。')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas', 'jieba'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
