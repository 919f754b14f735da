import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.textnorm import clean_text, normalise, to_simplified

GLOSS = re.compile(r"[\u4e00-\u9fff][（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[）)]")
FOOTERS = [
    "扫一扫",
    "本文来自",
    "评论列表",
    "网站标识码",
    "主办单位",
    "承办单位",
    "公网安备",
    "相关阅读",
    "原标题",
    "来源：通辽日报",
    "签约作者",
    "希望本篇文章",
    "本文概览",
    "跳转到登录页",
    "感谢原创者分享",
]


@pytest.fixture(scope="module")
def normalised(seed_texts):
    return {name: normalise(text) for name, text in seed_texts.items()}


def test_no_pinyin_gloss_left(seed_texts, normalised):
    assert any(GLOSS.search(text) for text in seed_texts.values())  # the seeds do have them
    for name, text in normalised.items():
        assert not GLOSS.search(text), name


def test_glosses_with_tone_marks_and_repeats_are_removed(normalised):
    text = normalised["003_52ff264634f4767a.txt"]
    assert "孟宪东主持召开市疫情防控工作领导小组会议" in text
    assert "的一次最严重的疫情" in text
    assert "自治区、人大常委会主任石泰峰" in normalised["004_c5e53934c76a5fb6.txt"]


def test_no_traditional_character_left(normalised):
    for name, text in normalised.items():
        assert to_simplified(text) == text, name
    assert "宪东" in normalised["003_52ff264634f4767a.txt"]


def test_real_brackets_are_kept(normalised):
    assert "（呼伦贝尔满洲里市322例、扎赉诺尔区32例" in normalised["000_35c47de45b526af0.txt"]
    assert clean_text("世界卫生组织(WHO)表示") == "世界卫生组织（WHO）表示"


@pytest.mark.parametrize("footer", FOOTERS)
def test_no_footer_left(normalised, seed_texts, footer):
    for name, text in normalised.items():
        assert footer not in text, name


def test_related_links_line_dropped(normalised):
    text = normalised["000_35c47de45b526af0.txt"]
    assert "蔡英文" not in text and "供电量" not in text
    assert text.rstrip().endswith("常住人口为150508人。")


def test_seed_002_not_doubled(seed_texts, normalised):
    raw, text = seed_texts["002_bc6b3ac25e4ed47d.txt"], normalised["002_bc6b3ac25e4ed47d.txt"]
    opening = "新冠肺炎疫情发生以来，内蒙古各族人民团结一心"
    assert raw.count(opening) == 2
    assert text.count(opening) == 1
    assert text.count("堵塞境外疫情输入漏洞") == 1
    assert len(text) < 0.55 * len(raw)


def test_punctuation_is_one_form(normalised):
    for text in normalised.values():
        assert not re.search(r"[\u4e00-\u9fff][,;!?:]|[,;!?:][\u4e00-\u9fff]", text)
    assert clean_text("截至12:00,共1,000人") == "截至12:00，共1,000人"


def test_normalisation_is_idempotent_on_seeds(normalised):
    for name, text in normalised.items():
        assert normalise(text) == text, name


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalise_never_raises_and_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="疫情防控隔離檢測區(qū)()zhaoWHO,.;:!?。，；、“”\n \t0123456789"))
def test_idempotent_on_chinese_like_text(text):
    once = normalise(text)
    assert normalise(once) == once
