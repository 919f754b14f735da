"""Input documents: files, directories, stdin and tables, each failing input reported on its own."""

import io
import json
import os
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifier.errors import InputError
from classifier.sources import Document, expand_paths, iter_documents, left_out_note

from .conftest import SEEDS

A, B, C, D, E = (path.name for path in SEEDS)


def documents(items):
    return [item for item in items if isinstance(item, Document)]


def errors(items):
    return [item for item in items if isinstance(item, InputError)]


@pytest.fixture
def corpus(tmp_path, seed_texts):
    """A directory tree of seed articles with files that must be skipped."""
    root = tmp_path / "corpus"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "z.txt").write_text(seed_texts[A], encoding="utf-8")
    (root / "a" / "one.md").write_text(seed_texts[B], encoding="utf-8")
    (root / "b" / "deep" / "two.TXT").write_bytes(seed_texts[C].encode("gb18030"))
    (root / "b" / "three.text").write_text(seed_texts[D], encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")
    (root / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "README").write_text("说明", encoding="utf-8")
    (root / ".hidden.txt").write_text(seed_texts[E], encoding="utf-8")
    return root


WALK_ORDER = ["z.txt", "a/one.md", "b/three.text", "b/deep/two.TXT"]


def test_directory_is_walked_recursively_sorted_known_suffixes_only(corpus):
    """A directory's own files come first, then its subdirectories, each sorted by name."""
    assert list(expand_paths([str(corpus)])) == [str(corpus / name) for name in WALK_ORDER]
    assert list(expand_paths([str(corpus / "b"), str(corpus / "a")])) == [
        str(corpus / "b" / "three.text"),
        str(corpus / "b" / "deep" / "two.TXT"),
        str(corpus / "a" / "one.md"),
    ]


def test_files_left_out_of_a_directory_are_listed_when_asked(corpus):
    left_out = []
    assert list(expand_paths([str(corpus)], left_out)) == [str(corpus / name) for name in WALK_ORDER]
    assert left_out == [str(corpus / name) for name in ("README", "notes.pdf", "picture.png")]
    assert left_out_note(left_out).startswith("skipped 3 file(s) (no suffix 1, .pdf 1, .png 1) under directories")


@pytest.mark.parametrize("unread", [[], ["page_0001", "scan.pdf"]])
def test_a_directory_with_nothing_to_read_is_an_error_and_the_run_goes_on(tmp_path, seed_texts, unread):
    empty, good = tmp_path / "scrape", tmp_path / "good.txt"
    empty.mkdir()
    for name in unread:
        (empty / name).write_text(seed_texts[A], encoding="utf-8")
    good.write_text(seed_texts[A], encoding="utf-8")
    left_out = []
    items = list(iter_documents([str(empty), str(good)], left_out=left_out))
    assert [type(item).__name__ for item in items] == ["InputError", "Document"]
    assert items[0].source == str(empty)
    assert items[0].reason.startswith("no text, HTML or table files in this directory")
    assert ("skipped 2 file(s) (no suffix 1, .pdf 1)" in items[0].reason) == bool(unread)
    assert left_out == []  # reported in the error, not again as left out


def test_directory_documents_have_the_seed_texts(corpus, seed_texts):
    items = list(iter_documents([str(corpus)]))
    assert errors(items) == []
    assert [d.doc for d in items] == [str(corpus / name) for name in WALK_ORDER]
    assert [d.text for d in items] == [seed_texts[A], seed_texts[B], seed_texts[D], seed_texts[C]]
    assert all(d.extra == {} for d in items)


def test_symlink_loop_is_not_followed(corpus):
    os.symlink(corpus, corpus / "loop")
    os.symlink(corpus / "b", corpus / "a" / "back")
    assert list(expand_paths([str(corpus)])) == [str(corpus / name) for name in WALK_ORDER]
    assert len(list(iter_documents([str(corpus)]))) == 4


def test_broken_symlink_is_one_error(corpus):
    os.symlink(corpus / "gone.txt", corpus / "dangling.txt")
    items = list(iter_documents([str(corpus)]))
    assert len(documents(items)) == 4
    [error] = errors(items)
    assert error.source == str(corpus / "dangling.txt")


def test_missing_path_is_an_error_and_the_run_goes_on(tmp_path, seed_texts):
    good = tmp_path / "good.txt"
    good.write_text(seed_texts[A], encoding="utf-8")
    missing = tmp_path / "missing.txt"
    items = list(iter_documents([str(missing), str(good)]))
    assert isinstance(items[0], InputError)
    assert items[0].source == str(missing)
    assert "no such file" in items[0].reason
    assert items[1] == Document(str(good), seed_texts[A])


def test_mixed_run_reports_each_bad_file(tmp_path, seed_texts):
    first, empty, png, second = (tmp_path / n for n in ("1.txt", "2.txt", "3.txt", "4.txt"))
    first.write_text(seed_texts[A], encoding="utf-8")
    empty.write_bytes(b"")
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    second.write_bytes(seed_texts[D].encode("big5"))
    items = list(iter_documents([str(first), str(empty), str(png), str(second)]))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "InputError", "Document"]
    assert (items[1].source, items[1].reason) == (str(empty), "empty file")
    assert items[2].source == str(png)
    assert "binary" in items[2].reason
    assert items[0].text == seed_texts[A]
    assert items[3].text == seed_texts[D]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path, seed_texts):
    locked = tmp_path / "locked.txt"
    locked.write_text(seed_texts[A], encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(seed_texts[B], encoding="utf-8")
    locked.chmod(0)
    try:
        items = list(iter_documents([str(locked), str(good)]))
    finally:
        locked.chmod(0o644)
    assert isinstance(items[0], InputError)
    assert items[0].source == str(locked)
    assert "ermission" in items[0].reason
    assert items[1].text == seed_texts[B]


def test_html_suffix_means_html(tmp_path, seed_texts):
    paragraphs = [line.strip() for line in seed_texts[B].splitlines() if line.strip()]
    page = tmp_path / "page.html"
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page.write_text(f"<div><script>var SCRIPT_MARKER;</script><article>{body}</article></div>", encoding="utf-8")
    [document] = iter_documents([str(page)])
    assert document.text.split("\n") == paragraphs


def test_stdin(monkeypatch, seed_texts):
    data = b"\xef\xbb\xbf" + seed_texts[C].encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert list(iter_documents(["-"])) == [Document("<stdin>", seed_texts[C])]


def test_stdin_gbk(monkeypatch, seed_texts):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(seed_texts[A].encode("gbk"))))
    assert list(iter_documents(["-"])) == [Document("<stdin>", seed_texts[A])]


def test_empty_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    [error] = iter_documents(["-"])
    assert isinstance(error, InputError)
    assert error.source == "<stdin>"


@pytest.fixture
def table(seed_texts):
    """Rows of articles with carried columns, a blank text and a numeric text."""
    return [
        {"id": "nm-1", "text": seed_texts[A], "region": "满洲里", "year": 2020},
        {"id": "nm-2", "text": "   ", "region": "包头", "year": 2021},
        {"id": "nm-3", "text": seed_texts[B], "region": "呼和浩特", "year": 2022},
    ]


def test_csv_text_and_id_columns(tmp_path, table, seed_texts):
    path = tmp_path / "articles.csv"
    pd.DataFrame(table).rename(columns={"text": "body"}).to_csv(path, index=False)
    items = list(iter_documents([str(path)], text_column="body", id_column="id"))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "Document"]
    assert items[0] == Document("nm-1", seed_texts[A], {"id": "nm-1", "region": "满洲里", "year": "2020"})
    assert items[1].source == f"{path}:2"
    assert "empty 'body' cell" in items[1].reason
    assert items[2].doc == "nm-3"
    assert items[2].text == seed_texts[B]


def test_csv_ids_default_to_file_and_row(tmp_path, table):
    path = tmp_path / "articles.csv"
    pd.DataFrame(table).to_csv(path, index=False, encoding="utf-8-sig")
    docs = documents(iter_documents([str(path)]))
    assert [d.doc for d in docs] == [f"{path}:1", f"{path}:3"]
    assert docs[0].extra["id"] == "nm-1"


def test_csv_without_the_text_column(tmp_path, table, seed_texts):
    path = tmp_path / "articles.csv"
    pd.DataFrame(table).to_csv(path, index=False)
    good = tmp_path / "good.txt"
    good.write_text(seed_texts[C], encoding="utf-8")
    items = list(iter_documents([str(path), str(good)], text_column="content"))
    assert isinstance(items[0], InputError)
    assert items[0].source == str(path)
    assert "'content'" in items[0].reason
    assert "--text-column" in items[0].reason
    assert items[1].text == seed_texts[C]


def test_csv_without_the_id_column(tmp_path, table):
    path = tmp_path / "articles.csv"
    pd.DataFrame(table).to_csv(path, index=False)
    [error] = iter_documents([str(path)], id_column="article_id")
    assert error.source == str(path)
    assert "'article_id'" in error.reason
    assert "--id-column" in error.reason


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-16"])
def test_csv_in_other_encodings_reads_like_utf8(tmp_path, table, encoding):
    utf8, other = tmp_path / "utf8.csv", tmp_path / f"{encoding}.csv"
    if encoding == "big5":  # Big5 holds Traditional characters only: convert, and drop what it still lacks
        import opencc

        to_traditional = opencc.OpenCC("s2t").convert
        table = [
            {
                k: to_traditional(v).encode("big5", "ignore").decode("big5") if isinstance(v, str) else v
                for k, v in row.items()
            }
            for row in table
        ]
    pd.DataFrame(table).to_csv(utf8, index=False)
    pd.DataFrame(table).to_csv(other, index=False, encoding=encoding)
    expected = [(d.doc.replace("utf8", encoding), d.text, d.extra) for d in documents(iter_documents([str(utf8)]))]
    assert [(d.doc, d.text, d.extra) for d in documents(iter_documents([str(other)]))] == expected
    assert len(expected) == 2


def test_csv_that_is_not_text(tmp_path):
    path = tmp_path / "articles.csv"
    path.write_bytes(b"id,text\n1," + bytes(range(128, 256)) * 64)
    [error] = iter_documents([str(path)])
    assert error.source == str(path)
    assert "encoding" in error.reason or "binary" in error.reason


def test_csv_with_a_bad_byte_after_the_sniffed_start(tmp_path, monkeypatch):
    import classifier.sources

    monkeypatch.setattr(classifier.sources, "SNIFF_BYTES", 64)
    path = tmp_path / "articles.csv"
    path.write_bytes(
        b"id,text\n" + "".join(f"{i},第{i}轮全员核酸检测。\n" for i in range(40)).encode() + b"x,\xff\xfe\n"
    )
    items = list(iter_documents([str(path)]))
    assert isinstance(items[-1], InputError)
    assert items[-1].source == str(path)
    assert "not a readable utf-8 CSV file" in items[-1].reason


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    [error] = iter_documents([str(path)])
    assert isinstance(error, InputError)
    assert error.source == str(path)


def write_jsonl(path, rows):
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def test_jsonl_rows_and_a_broken_line(tmp_path, table, seed_texts):
    path = tmp_path / "articles.jsonl"
    write_jsonl(path, [table[0], '{"id": "nm-x", "text": "全员核酸检测\n', "\n", table[2]])
    items = list(iter_documents([str(path)], id_column="id"))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "Document"]
    assert items[0] == Document("nm-1", seed_texts[A], {"id": "nm-1", "region": "满洲里", "year": 2020})
    assert items[1].source == f"{path}:2"
    assert "invalid JSON" in items[1].reason
    assert items[2].doc == "nm-3"
    assert items[2].text == seed_texts[B]


def test_jsonl_cells_that_are_not_strings(tmp_path, seed_texts):
    path = tmp_path / "cells.jsonl"
    write_jsonl(
        path,
        [
            {"text": None, "n": 1},
            '{"text": NaN, "n": 2}\n',
            {"text": 2020, "n": 3},
            {"text": seed_texts[E], "n": 4},
            ["a", "list"],
            {"body": seed_texts[E], "n": 6},
        ],
    )
    items = list(iter_documents([str(path)]))
    assert [type(item).__name__ for item in items] == [
        "InputError",
        "InputError",
        "Document",
        "Document",
        "InputError",
        "InputError",
    ]
    assert [e.source for e in errors(items)] == [f"{path}:{n}" for n in (1, 2, 5, 6)]
    assert "empty 'text' cell" in items[0].reason
    assert "empty 'text' cell" in items[1].reason
    assert items[2] == Document(f"{path}:3", "2020", {"n": 3})
    assert items[3] == Document(f"{path}:4", seed_texts[E], {"n": 4})
    assert "object" in items[4].reason
    assert "'text'" in items[5].reason


def test_jsonl_lines_in_gbk_and_utf8_both_read(tmp_path, seed_texts):
    path = tmp_path / "mixed.jsonl"
    line = json.dumps({"text": seed_texts[A]}, ensure_ascii=False)
    path.write_bytes(line.encode("gbk") + b"\n" + line.encode("utf-8") + b"\n")
    assert [d.text for d in iter_documents([str(path)])] == [seed_texts[A], seed_texts[A]]


def test_jsonl_corrupt_line_spoils_only_itself(tmp_path, seed_texts):
    path = tmp_path / "corrupt.jsonl"
    lines = [json.dumps({"text": seed_texts[k]}, ensure_ascii=False).encode() for k in (A, B, C)]
    lines[1] = lines[1][:40] + b"\xff\xfe\x80" + lines[1][40:]
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(iter_documents([str(path)]))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "Document"]
    assert items[1].source == f"{path}:2"
    assert "not valid UTF-8" in items[1].reason
    assert [d.text for d in documents(items)] == [seed_texts[A], seed_texts[C]]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-16"])
def test_jsonl_in_other_encodings_reads_like_utf8(tmp_path, table, encoding):
    if encoding == "big5":  # Big5 holds Traditional characters only: convert, and drop what it still lacks
        import opencc

        to_traditional = opencc.OpenCC("s2t").convert
        table = [{k: to_traditional(v) if isinstance(v, str) else v for k, v in row.items()} for row in table]
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table)
    if encoding == "big5":
        lines = lines.encode("big5", "ignore").decode("big5")
    utf8, other = tmp_path / "utf8.jsonl", tmp_path / f"{encoding}.jsonl"
    utf8.write_text(lines, encoding="utf-8")
    other.write_text(lines, encoding=encoding)
    expected = [(d.doc.replace("utf8", encoding), d.text, d.extra) for d in documents(iter_documents([str(utf8)]))]
    assert [(d.doc, d.text, d.extra) for d in documents(iter_documents([str(other)]))] == expected
    assert len(expected) == 2


def test_empty_jsonl(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    [error] = iter_documents([str(path)])
    assert error.source == str(path)
    assert "empty" in error.reason


def test_parquet_cells_and_carried_columns(tmp_path, seed_texts):
    path = tmp_path / "articles.parquet"
    pq.write_table(
        pa.table(
            {
                "code": [10, 11, 12, 13, None],
                "content": [seed_texts[A], None, "", "  ", seed_texts[C]],
                "score": [1.5, float("nan"), 2.0, 3.0, 4.0],
            }
        ),
        path,
    )
    items = list(iter_documents([str(path)], text_column="content", id_column="code"))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "InputError", "InputError", "Document"]
    assert items[0] == Document("10", seed_texts[A], {"code": 10, "score": 1.5})
    assert [e.source for e in errors(items)] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert items[4] == Document(f"{path}:5", seed_texts[C], {"code": None, "score": 4.0})


def test_parquet_numbers_and_nan_as_text(tmp_path, seed_texts):
    path = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": [1.25, float("nan"), 7.0]}), path)
    items = list(iter_documents([str(path)]))
    assert [type(item).__name__ for item in items] == ["Document", "InputError", "Document"]
    assert items[0].text == "1.25"
    assert items[1].source == f"{path}:2"


def test_parquet_without_the_text_column(tmp_path, seed_texts):
    path = tmp_path / "articles.parquet"
    pq.write_table(pa.table({"body": [seed_texts[A]]}), path)
    [error] = iter_documents([str(path)])
    assert error.source == str(path)
    assert "'text'" in error.reason
    assert "body" in error.reason


def test_not_a_parquet_file(tmp_path, seed_texts):
    path = tmp_path / "fake.parquet"
    path.write_text(seed_texts[A], encoding="utf-8")
    [error] = iter_documents([str(path)])
    assert error.source == str(path)
    assert "Parquet" in error.reason


def test_tables_in_a_directory(tmp_path, table):
    root = tmp_path / "tables"
    root.mkdir()
    pd.DataFrame(table).to_csv(root / "a.csv", index=False)
    write_jsonl(root / "b.jsonl", table)
    pq.write_table(pa.Table.from_pylist(table), root / "c.parquet")
    items = list(iter_documents([str(root)], id_column="id"))
    assert [d.doc for d in documents(items)] == ["nm-1", "nm-3"] * 3
    assert [e.source for e in errors(items)] == [f"{root / name}:2" for name in ("a.csv", "b.jsonl", "c.parquet")]
