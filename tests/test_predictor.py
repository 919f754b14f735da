from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

LABEL_IDS = ["testing", "isolation", "supply", "port_control", "discipline"]


def test_predict_refuses_a_bare_string(predictor):
    with pytest.raises(TypeError, match="single string"):
        predictor.predict("全员核酸检测")
    with pytest.raises(TypeError, match="item 1"):
        predictor.predict(["全员核酸检测", None])


def test_predict_clear_sentences(predictor):
    labels = predictor.predict(
        [
            "全市开展新一轮全员核酸检测，做到应检尽检、不漏一人。",
            "对密切接触者一律实行集中隔离医学观察。",
            "",
        ]
    )
    assert "testing" in labels[0]
    assert "isolation" in labels[1]
    assert labels[2] == []


def test_predict_proba_is_a_frame_per_label(predictor):
    frame = predictor.predict_proba(["严格落实入境人员闭环管理。", "今天天气晴朗。"])
    assert list(frame.columns) == LABEL_IDS
    assert frame.shape == (2, 5)
    assert ((frame >= 0) & (frame <= 1)).all().all()
    assert frame.loc[0, "port_control"] > frame.loc[1, "port_control"]


def test_traditional_input_is_normalised_first(predictor):
    simplified, traditional = predictor.predict_proba(["全面開展核酸檢測", "全面开展核酸检测"]).to_numpy()
    assert simplified.tolist() == traditional.tolist()


def test_tag_a_seed_article(predictor, seed_texts):
    article = predictor.tag(seed_texts["001_64c3615dac105363.txt"])
    assert [s.index for s in article.sentences] == list(range(len(article.sentences)))
    by_start = {s.text[:6]: s for s in article.sentences}
    assert "testing" in by_start["一是提升核酸"].labels
    assert "supply" in by_start["一是确保基本"].labels
    assert "port_control" in by_start["一是严格落实"].labels
    summary = article.summary()
    assert list(summary) == LABEL_IDS
    assert all(summary[label] >= 1 for label in LABEL_IDS)
    assert set(article.sentences[0].scores) == set(LABEL_IDS)


def test_a_tagged_article_survives_pickling(predictor, seed_texts):
    import pickle

    article = predictor.tag(seed_texts["003_52ff264634f4767a.txt"])
    copy = pickle.loads(pickle.dumps(article))
    assert copy == article
    assert type(copy.sentences[0]).__name__ == "Sentence"
    assert copy.summary() == article.summary()


def test_threshold_override(trained_dir):
    from classifier import Predictor

    everything = Predictor.load(trained_dir, threshold=0.0).predict(["今天天气晴朗。"])
    nothing = Predictor.load(trained_dir, threshold=1.0).predict(["全员核酸检测。"])
    assert everything == [LABEL_IDS] and nothing == [[]]


def test_explain_names_the_terms(predictor):
    explained = predictor.explain("对密接人员实行集中隔离", top=3)
    assert list(explained) == LABEL_IDS
    terms = [term for term, _ in explained["isolation"]]
    assert len(terms) == 3
    assert any("隔离" in term or "密接" in term for term in terms)


def test_tag_frame_keeps_other_columns(predictor, seed_texts):
    frame = pd.DataFrame(
        {
            "region": ["内蒙古", "呼和浩特"],
            "date": ["2021-12-06", "2022-02-17"],
            "body": [seed_texts["000_35c47de45b526af0.txt"], seed_texts["004_c5e53934c76a5fb6.txt"]],
        }
    )
    out = predictor.tag_frame(frame, text="body")
    assert list(out.columns[:5]) == ["region", "date", "index", "body", "labels"]
    assert set(out["region"]) == {"内蒙古", "呼和浩特"}
    assert len(out) == len(predictor.tag(frame.body[0]).sentences) + len(predictor.tag(frame.body[1]).sentences)


def test_threads_give_sequential_results(predictor, seed_texts):
    sentences = [s.text for text in seed_texts.values() for s in predictor.tag(text).sentences]
    expected = predictor.predict(sentences)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda chunk: predictor.predict(chunk), [sentences] * 8))
    assert all(result == expected for result in results)


def test_installed_package_loads_the_bundled_model_from_any_directory(tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    code = (
        "import classifier, json\nfrom classifier import Predictor\n"
        "print(json.dumps([classifier.__file__, Predictor.load().predict(['全员核酸检测，应检尽检。'])]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False)
    if "No module named 'classifier'" in result.stderr:
        pytest.skip("policy-measures is not installed (pip install . puts the model inside the package)")
    import json

    where, labels = json.loads(result.stdout)
    if where.startswith(str(ROOT)):
        pytest.skip("an editable install loads the checkout's models/default")
    assert "site-packages" in where
    assert labels == [["testing"]]
