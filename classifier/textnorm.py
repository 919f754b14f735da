"""Text normalisation: Unicode, pinyin glosses, Traditional to Simplified, punctuation, boilerplate."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê"
_GLOSS_RE = re.compile(rf"(?<=[{_HAN}])(?:\(([a-z{_TONED}]{{1,6}})\))+")
_GLOSS_ONE_RE = re.compile(rf"\(([a-z{_TONED}]{{1,6}})\)")
_PINYIN_RE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ao|an|ei|en|er|ia|ie|in|iu|ou|ua|ue|ui|un|uo|ve|a|e|i|o|u|v)"
)
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"}
_PUNCT_RE = re.compile(r"(?<!\d)[,:]|[,:](?!\d)|[;!?()]")
_NOT_FULL_PUNCT_RE = re.compile(r"[^，；：！？（）]+")  # NFKC would turn these half-width
_ELLIPSIS_RE = re.compile(r"\.{3,}")
_SPACE_RE = re.compile(r"[^\S\n]+")
_CJK_SPACE_RE = re.compile(rf"(?<=[{_HAN}，。！？；：、“”（）《》]) +| +(?=[{_HAN}，。！？；：、“”（）《》])")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_CHUNK_RE = re.compile(r"[^。！？；\n]*(?:[。！？；]+[”’」』）》】\"']*|\n|$)")
_MIN_REPEAT_CHARS = 12

_converter_lock = threading.Lock()


def is_pinyin(syllable: str) -> bool:
    """Whether a lowercase word, tone marks allowed, is one pinyin syllable.

    >>> is_pinyin("zhao"), is_pinyin("qū"), is_pinyin("who"), is_pinyin("covid")
    (True, True, False, False)
    """
    plain = unicodedata.normalize("NFD", syllable.replace("ü", "v"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _PINYIN_RE.fullmatch(plain) is not None


def _drop_gloss(match: re.Match[str]) -> str:
    words = _GLOSS_ONE_RE.findall(match.group(0))
    return "" if all(is_pinyin(w) for w in words) else match.group(0)


def strip_pinyin_glosses(text: str) -> str:
    """Remove inline pinyin glosses written after Han characters, keeping real brackets.

    >>> strip_pinyin_glosses("召(zhao)開 情(qing)(qing) 區(qū) 病例(WHO) 满洲里(322例)")
    '召開 情 區 病例(WHO) 满洲里(322例)'
    """
    return _GLOSS_RE.sub(_drop_gloss, text)


@lru_cache(maxsize=1)
def _opencc():  # noqa: ANN202 - opencc has no type hints
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified with OpenCC.

    >>> to_simplified("疫情防控工作領導小組會議")
    '疫情防控工作领导小组会议'
    """
    if text.isascii():
        return text
    with _converter_lock:
        return _opencc().convert(text)


def unify_punctuation(text: str) -> str:
    """Write Chinese punctuation in its full-width form, leaving digit groups like 1,000 and 8:00.

    >>> unify_punctuation("截至12:00,共1,000人;(一)加强管控!......")
    '截至12:00，共1,000人；（一）加强管控！……'
    """
    text = _ELLIPSIS_RE.sub("……", text)
    return _PUNCT_RE.sub(lambda m: _HALF_TO_FULL[m.group(0)], text)


def fold_spaces(text: str) -> str:
    """Collapse runs of spaces, drop spaces next to Chinese text, trim every line.

    >>> fold_spaces("疫情  防控 工作\\t COVID  19 \\n 下一行 ")
    '疫情防控工作COVID 19\\n下一行'
    """
    text = _SPACE_RE.sub(" ", text)
    text = _CJK_SPACE_RE.sub("", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def clean_text(text: str) -> str:
    """Character-level normalisation: NFKC, no controls or pinyin glosses, Simplified, one punctuation form.

    Full-width Chinese punctuation is kept out of NFKC, which would make it half-width.

    >>> clean_text("孟憲東主持召(zhao)開會(hui)議,部署工作")
    '孟宪东主持召开会议，部署工作'
    """
    text = _NOT_FULL_PUNCT_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = strip_pinyin_glosses(text)
    text = to_simplified(text)
    return unify_punctuation(text)


@lru_cache(maxsize=1)
def boilerplate_patterns() -> dict[str, list[re.Pattern[str]]]:
    """The boilerplate regexes from the package's data file, by scope (line, inline, sentence)."""
    patterns: dict[str, list[re.Pattern[str]]] = {"line": [], "inline": [], "sentence": []}
    text = resources.files("classifier").joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        scope, _, pattern = raw.partition(" ")
        patterns[scope].append(re.compile(pattern))
    return patterns


def chunks(text: str) -> list[str]:
    """Split text after each run of 。！？； (closing quotes and brackets kept) and after line breaks.

    >>> chunks("一句。“二句！”三\\n四")
    ['一句。', '“二句！”', '三\\n', '四']
    """
    return [c for c in _CHUNK_RE.findall(text) if c]


def drop_boilerplate(text: str) -> str:
    """Remove lines and sentence chunks that match the boilerplate patterns."""
    patterns = boilerplate_patterns()
    lines = _SPACE_RE.sub(" ", text).split("\n")
    kept_lines = [ln for ln in lines if not any(p.search(ln.strip()) for p in patterns["line"])]
    text = fold_spaces("\n".join(kept_lines))
    for pattern in patterns["inline"]:
        text = pattern.sub("", text)
    return "".join(c for c in chunks(text) if not any(p.search(c) for p in patterns["sentence"]))


def drop_repeats(text: str) -> str:
    """Keep only the first occurrence of each sentence-like chunk of at least 12 characters.

    >>> drop_repeats("甲乙丙丁戊己庚辛壬癸子丑。短句。甲乙丙丁戊己庚辛壬癸子丑。短句。")
    '甲乙丙丁戊己庚辛壬癸子丑。短句。短句。'
    """
    seen: set[str] = set()
    out: list[str] = []
    for chunk in chunks(text):
        key = chunk.strip()
        if len(key) >= _MIN_REPEAT_CHARS:
            if key in seen:
                continue
            seen.add(key)
        out.append(chunk)
    return "".join(out)


def normalise(text: str) -> str:
    """Normalise an article: clean characters, drop web boilerplate and repeated blocks.

    >>> normalise("微信掃一掃\\n召(zhao)開會議。\\n來源:通遼日報")
    '召开会议。'
    """
    text = drop_repeats(drop_boilerplate(clean_text(text)))
    text = re.sub(r"\n{2,}", "\n", text)
    return text.strip()
