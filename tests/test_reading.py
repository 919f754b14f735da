"""Reading documents: every supported encoding gives the same text, binaries and blanks are refused."""

import codecs
import html
import io
import random
import zipfile

import pytest

from classifier.errors import InputError
from classifier.reading import decode_bytes, looks_like_html, read_document

from .conftest import SEEDS

SIMPLIFIED = "002_bc6b3ac25e4ed47d.txt"
TRADITIONAL = "003_52ff264634f4767a.txt"
PARAGRAPHED = "001_64c3615dac105363.txt"


def encodable(text, encoding):
    """The part of `text` that `encoding` can represent, so a round trip through it is exact."""
    return text.encode(encoding, errors="ignore").decode(encoding)


@pytest.fixture(params=[path.name for path in SEEDS])
def seed(request, seed_texts):
    return seed_texts[request.param]


def test_seeds_are_present():
    assert len(SEEDS) == 5


def test_utf8_without_bom(seed):
    assert decode_bytes(seed.encode("utf-8"), "a.txt") == seed


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_byte_order_marks(seed, bom, encoding):
    decoded = decode_bytes(bom + seed.encode(encoding), "a.txt")
    assert decoded == seed
    assert not decoded.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gb_encodings_match_utf8_twin(seed, encoding):
    text = encodable(seed, encoding)
    assert len(text) > 0.9 * len(seed)
    assert decode_bytes(text.encode(encoding), "a.txt") == decode_bytes(text.encode("utf-8"), "a.txt")


def test_gb18030_four_byte_character(seed_texts):
    text = seed_texts[SIMPLIFIED][:300] + "𠀀" + seed_texts[SIMPLIFIED][300:]
    data = text.encode("gb18030")
    assert "𠀀".encode("gb18030") in data
    assert len("𠀀".encode("gb18030")) == 4
    assert decode_bytes(data, "a.txt") == text


@pytest.mark.parametrize("name", [TRADITIONAL, "004_c5e53934c76a5fb6.txt"])
def test_big5_traditional_seed(seed_texts, name):
    text = encodable(seed_texts[name], "big5")
    assert len(text) > 0.8 * len(seed_texts[name])
    assert decode_bytes(text.encode("big5"), "a.txt") == text


def test_big5_is_not_read_as_gb(seed_texts):
    text = seed_texts[TRADITIONAL]
    assert text.encode("big5").decode("big5") == text
    assert decode_bytes(text.encode("big5"), "a.txt") == text
    assert "會議" in decode_bytes(text.encode("big5"), "a.txt")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n  ", "only whitespace"),
        (codecs.BOM_UTF8, "only whitespace"),
        (codecs.BOM_UTF8 + b"  \r\n", "only whitespace"),
        (codecs.BOM_UTF16_LE + " \n\n".encode("utf-16-le"), "only whitespace"),
        ("\u3000\u3000\n".encode(), "only whitespace"),
    ],
)
def test_blank_files_are_refused(data, reason):
    with pytest.raises(InputError) as info:
        decode_bytes(data, "blank.txt")
    assert info.value.source == "blank.txt"
    assert reason in info.value.reason
    assert str(info.value).startswith("blank.txt: ")


def png_bytes():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def zip_bytes(text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("article.txt", text)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["png", "zip", "random", "random-without-nul"])
def test_binary_files_are_refused(seed_texts, kind):
    data = {
        "png": png_bytes(),
        "zip": zip_bytes(seed_texts[SIMPLIFIED]),
        "random": random.Random(0).randbytes(4096),
        "random-without-nul": bytes(b for b in random.Random(0).randbytes(4096) if b),
    }[kind]
    with pytest.raises(InputError) as info:
        read_document(data, f"file.{kind}")
    assert info.value.source == f"file.{kind}"
    assert "binary" in info.value.reason


def test_png_and_zip_are_named(seed_texts):
    with pytest.raises(InputError, match="PNG"):
        decode_bytes(png_bytes(), "x")
    with pytest.raises(InputError, match="zip"):
        decode_bytes(zip_bytes(seed_texts[SIMPLIFIED]), "x")


def test_invalid_bytes_after_bom_are_refused():
    with pytest.raises(InputError, match="utf-8"):
        decode_bytes(codecs.BOM_UTF8 + "核酸检测".encode("gbk"), "bad.txt")


def article_page(paragraphs, charset="utf-8"):
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>疫情防控</title>
<style>body {{ font-family: STYLE_MARKER; }} .nav {{ color: red; }}</style>
<script>var tracker = "SCRIPT_MARKER"; console.log("脚本内容不应出现");</script>
</head><body>
<nav><a href="/">首页</a> <a href="/news">新闻中心</a> <a href="/menu">导航菜单链接</a></nav>
<article>
{body}
</article>
<footer>版权所有 内蒙古自治区人民政府 FOOTER_MARKER</footer>
<script>document.write("SCRIPT2_MARKER");</script>
</body></html>
"""


MARKERS = [
    "SCRIPT_MARKER",
    "SCRIPT2_MARKER",
    "脚本内容",
    "STYLE_MARKER",
    "font-family",
    "导航菜单链接",
    "FOOTER_MARKER",
]


@pytest.fixture
def paragraphs(seed_texts):
    return [line.strip() for line in seed_texts[PARAGRAPHED].splitlines() if line.strip()]


def test_html_page_gives_the_article_text(paragraphs):
    text = read_document(article_page(paragraphs).encode("utf-8"), "page.html")
    assert text.split("\n") == paragraphs
    for marker in MARKERS:
        assert marker not in text


def test_html_is_detected_without_hint(paragraphs):
    page = article_page(paragraphs).encode("utf-8")
    assert looks_like_html(page)
    assert read_document(codecs.BOM_UTF8 + page, "stdin").split("\n") == paragraphs


def test_html_detected_in_utf16(paragraphs):
    page = codecs.BOM_UTF16_LE + article_page(paragraphs).encode("utf-16-le")
    assert read_document(page, "page").split("\n") == paragraphs


def test_gbk_html_page(paragraphs):
    page = article_page(paragraphs, charset="gbk").encode("gbk")
    assert read_document(page, "page.htm", html=True).split("\n") == paragraphs


def test_plain_text_is_not_treated_as_html(seed_texts):
    text = seed_texts[PARAGRAPHED]
    assert not looks_like_html(text.encode())
    assert read_document(text.encode(), "a.txt") == text


def test_html_without_main_text_is_refused():
    page = "<html><head><style>p { color: red; }</style></head><body><script>var x = 1;</script></body></html>"
    with pytest.raises(InputError) as info:
        read_document(page.encode(), "empty.html")
    assert info.value.source == "empty.html"
    assert "no main text" in info.value.reason
