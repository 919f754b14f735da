import multiprocessing

import pytest

from classifier.batch import article_record, sentence_records, tag_parallel


def test_tag_parallel_gives_the_sequential_articles_in_order(predictor, seed_texts):
    texts = list(seed_texts.values()) * 3
    expected = list(predictor.tag_many(texts))
    assert list(tag_parallel(texts, predictor, jobs=2)) == expected


@pytest.mark.skipif("spawn" not in multiprocessing.get_all_start_methods(), reason="no spawn start method")
def test_tag_parallel_ships_the_predictor_to_spawned_workers(predictor, seed_texts):
    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)  # workers get the predictor pickled, not forked
    try:
        texts = list(seed_texts.values())
        assert list(tag_parallel(texts, predictor, jobs=2)) == list(predictor.tag_many(texts))
    finally:
        multiprocessing.set_start_method(before, force=True)


def test_records_for_a_seed_article(predictor, seed_texts):
    article = predictor.tag(seed_texts["001_64c3615dac105363.txt"])
    rows = sentence_records("001", article, {"region": "内蒙古", "labels": "ignored"})
    assert [r["index"] for r in rows] == list(range(len(article.sentences)))
    assert all(r["region"] == "内蒙古" and r["doc"] == "001" for r in rows)
    assert rows[10]["labels"] == ["port_control"]
    summary = article_record("001", article, {"region": "内蒙古"})
    assert summary["sentences"] == len(rows)
    assert summary["n_port_control"] == sum("port_control" in r["labels"] for r in rows) > 0
    assert summary["share_port_control"] == round(summary["n_port_control"] / len(rows), 4)
