import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.segment import MAX_SENTENCE_CHARS, cap_length, split_sentences
from classifier.textnorm import normalise


@pytest.fixture(scope="module")
def sentences(seed_texts):
    return {name: split_sentences(normalise(text)) for name, text in seed_texts.items()}


def test_every_seed_has_sentences(sentences):
    counts = {name: len(s) for name, s in sentences.items()}
    assert all(n >= 10 for n in counts.values()), counts


def test_run_ons_split_at_enumerations(sentences):
    runon = sentences["001_64c3615dac105363.txt"]
    starts = [s[:2] for s in runon]
    for marker, count in (("一是", 4), ("二是", 4), ("三是", 4), ("四是", 2)):
        assert starts.count(marker) == count, marker
    assert any(s.startswith("一是严格落实入境人员全流程闭环管理") for s in runon)
    assert any(s.startswith("二是加强进口货物检疫消毒") for s in runon)
    assert not any("，二是" in s for s in runon)


def test_no_short_fragments(sentences):
    for name, seed in sentences.items():
        for s in seed:
            assert len(s) >= 8, (name, s)


def test_sentences_end_at_terminal_punctuation(sentences):
    text = "".join(sentences["004_c5e53934c76a5fb6.txt"])
    for s in sentences["004_c5e53934c76a5fb6.txt"]:
        assert not re.search(r"[。！？；].", s.rstrip("”’」』）》】")), s
    assert "".join(text.split()) == text


def test_closing_quote_stays_with_its_sentence():
    assert split_sentences("他说：“要全员核酸检测。”随后召开会议。") == ["他说：“要全员核酸检测。”", "随后召开会议。"]


def test_long_sentences_are_capped_not_dropped():
    long = "各地要加强核酸检测能力建设，" * 60
    pieces = split_sentences(long)
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert "".join(pieces) == long
    assert "".join(cap_length("无标点" * 500)) == "无标点" * 500


def test_joined_sentences_give_back_the_text(seed_texts):
    for text in seed_texts.values():
        normalised = normalise(text)
        assert "".join(split_sentences(normalised)) == normalised.replace("\n", "")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="核酸检测隔离，。！？；、“”\n 一二三是第同时其次甲乙丙丁0123456789ab"))
def test_segmentation_loses_nothing_and_yields_no_empty_sentence(text):
    normalised = normalise(text)
    pieces = split_sentences(normalised)
    assert all(p.strip() for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(normalised.split())
