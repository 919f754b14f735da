"""Tokenisation for the features: a private jieba tokenizer with the domain dictionary."""

from __future__ import annotations

import logging
import re
import threading
from importlib import resources

_DIGITS_RE = re.compile(r"\d+(?:[.,]\d+)*")
_WORD_RE = re.compile(r"\w")
_lock = threading.Lock()
_tokenizer = None


def _jieba():  # noqa: ANN202 - jieba has no type hints
    """The package's own jieba.Tokenizer with the domain dictionary, built once."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                logger = logging.getLogger("jieba")
                level = logger.level
                logger.setLevel(logging.WARNING)
                try:
                    tokenizer = jieba.Tokenizer()
                    with resources.as_file(resources.files("classifier") / "data/userdict.txt") as path:
                        tokenizer.load_userdict(str(path))
                finally:
                    logger.setLevel(level)
                _tokenizer = tokenizer
    return _tokenizer


def mask_digits(text: str) -> str:
    """Replace every number with a single 0, so 14天 and 21天 share features.

    >>> mask_digits("隔离14天，共1,200人，占3.5%")
    '隔离0天，共0人，占0%'
    """
    return _DIGITS_RE.sub("0", text)


def tokenize(text: str) -> list[str]:
    """Word tokens of a sentence: jieba with the domain dictionary, numbers masked, punctuation dropped.

    >>> tokenize("对密接人员实行14天集中隔离。")
    ['对', '密接', '人员', '实行', '0', '天', '集中隔离']
    """
    return [tok for tok in _jieba().lcut(mask_digits(text)) if _WORD_RE.search(tok)]
