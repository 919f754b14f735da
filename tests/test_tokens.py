import subprocess
import sys

import pytest

from classifier.tokens import tokenize


@pytest.mark.parametrize(
    "term", ["核酸检测", "闭环管理", "流调溯源", "密接", "次密接", "封控区", "管控区", "保供", "白名单", "入境人员"]
)
def test_domain_terms_stay_whole(term):
    assert term in tokenize(f"各地要做好{term}工作。")


def test_numbers_are_masked_and_punctuation_dropped():
    assert tokenize("隔离14天，检测3次。") == ["隔离", "0", "天", "检测", "0", "次"]


def test_users_jieba_state_is_neither_used_nor_changed():
    code = (
        "import jieba, classifier.tokens as t\n"
        "jieba.add_word('防控测试词甲乙', freq=10**9)\n"
        "assert '防控测试词甲乙' not in t.tokenize('防控测试词甲乙')\n"
        "assert '次密接' not in jieba.lcut('追踪次密接人员')\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


def test_fast_segmenter_gives_jieba_tokens(seed_texts):
    from classifier.corpus import read_labelled
    from classifier.segment import split_sentences
    from classifier.textnorm import normalise
    from classifier.tokens import _jieba_cut, _rjieba_cut, mask_digits

    from .conftest import LABELS

    sentences = [s for text in seed_texts.values() for s in split_sentences(normalise(text))]
    sentences += [row.text for row in read_labelled(LABELS)]
    fast, reference = _rjieba_cut(), _jieba_cut()
    differ = [s for s in sentences if fast(mask_digits(s)) != reference(mask_digits(s))]
    assert len(differ) <= len(sentences) // 200, differ[:5]
