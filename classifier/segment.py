"""Sentence segmentation: terminal punctuation, line breaks, enumerations in run-ons, a length cap."""

from __future__ import annotations

import re

from .textnorm import chunks

#: Longest sentence the segmenter emits; longer ones are split at a comma (or cut) below this.
MAX_SENTENCE_CHARS = 300
#: Shortest piece an enumeration split may leave; shorter pieces stay joined to a neighbour.
MIN_PIECE_CHARS = 8

_NUM = "一二三四五六七八九十"
_ENUM_RE = re.compile(
    rf"(?<=[，：、；])(?=[{_NUM}]{{1,2}}是|第[{_NUM}]{{1,2}}[，、：]|(?:其次|再次|同时|此外|另外|最后|与此同时)，"
    rf"|同时(?![期间段]))"
)
_CONTENT_RE = re.compile(r"[\w\u3400-\u9fff]")


def _join_short(pieces: list[str]) -> list[str]:
    """Join pieces shorter than MIN_PIECE_CHARS to the piece before (or the first to the next)."""
    out: list[str] = []
    for piece in pieces:
        if out and (len(piece.strip()) < MIN_PIECE_CHARS or len(out[-1].strip()) < MIN_PIECE_CHARS):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def split_enumerations(sentence: str) -> list[str]:
    """Split a run-on sentence before enumeration markers such as 一是, 二是, 第一, 同时.

    >>> split_enumerations("当前要重点做好三件事，一是全员核酸检测，二是密接集中隔离，三是保障物资供应。")
    ['当前要重点做好三件事，', '一是全员核酸检测，', '二是密接集中隔离，', '三是保障物资供应。']
    >>> split_enumerations("一是快，二是准。")
    ['一是快，二是准。']
    """
    return _join_short(_ENUM_RE.split(sentence))


def cap_length(sentence: str, limit: int = MAX_SENTENCE_CHARS) -> list[str]:
    """Split a sentence longer than `limit` at its last comma before the limit, or cut it there.

    >>> cap_length("甲乙丙，丁戊己庚。", limit=5)
    ['甲乙丙，', '丁戊己庚。']
    >>> cap_length("甲乙丙丁戊己庚", limit=3)
    ['甲乙丙', '丁戊己', '庚']
    """
    out: list[str] = []
    start = 0
    while len(sentence) - start > limit:
        end = start + limit
        cut = max(sentence.rfind(mark, start, end) for mark in "，、：") - start
        cut = cut + 1 if cut >= MIN_PIECE_CHARS or (cut > 0 and limit < 2 * MIN_PIECE_CHARS) else limit
        out.append(sentence[start : start + cut])
        start += cut
    out.append(sentence[start:])
    return out


def split_sentences(text: str) -> list[str]:
    """Split normalised text into sentences; joined back, they give the text less its line breaks.

    >>> split_sentences("核酸检测。“隔离！”\\n……\\n标题\\n甲，一是封控管理，二是物资保障。")
    ['核酸检测。', '“隔离！”……', '标题', '甲，一是封控管理，二是物资保障。']
    """
    units: list[str] = []
    for chunk in chunks(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if units and not _CONTENT_RE.search(chunk):
            units[-1] += chunk
        else:
            units.append(chunk)
    return [piece for unit in units for part in split_enumerations(unit) for piece in cap_length(part) if piece.strip()]
