"""Input documents for batch tagging: text and HTML files, directories, stdin, CSV/JSONL/Parquet tables."""

from __future__ import annotations

import json
import math
import os
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .reading import guess_chinese_encoding, read_document, sniff_encoding

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TABLE_SUFFIXES = {".csv", ".jsonl", ".ndjson", ".parquet"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | TABLE_SUFFIXES
TABLE_CHUNK_ROWS = 2048
#: The document id, and the source named in errors, of standard input (the path `-`).
STDIN = "<stdin>"
#: Bytes read from the start of a CSV or JSON Lines file to find its encoding.
SNIFF_BYTES = 1 << 20


@dataclass
class Document:
    """One article to tag: an id, its text, and columns to carry into the output."""

    doc: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)


def expand_paths(paths: list[str], left_out: list[str] | None = None) -> Iterator[str | InputError]:
    """Files named, and files with known suffixes found under directories (sorted; links to dirs not followed).

    Other files under directories are left out, and appended to `left_out` when it is given. A
    directory holding no file to read is an InputError.
    """
    for raw in paths:
        if raw == "-":
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            found, others = 0, []
            for root, dirs, files in os.walk(path, onerror=None):
                dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
                for name in sorted(n for n in files if not n.startswith(".")):
                    if Path(name).suffix.lower() in KNOWN_SUFFIXES:
                        found += 1
                        yield str(Path(root) / name)
                    else:
                        others.append(str(Path(root) / name))
            if found and left_out is not None:
                left_out.extend(others)
            elif not found:
                note = f"; skipped {describe_left_out(others)}" if others else ""
                yield InputError(raw, f"no text, HTML or table files in this directory{note}")
        elif path.exists():
            yield raw
        else:
            yield InputError(raw, "no such file or directory")


def describe_left_out(paths: list[str]) -> str:
    """How many files were left out, by suffix, most frequent first.

    >>> describe_left_out(["a/x.pdf", "a/README", "b/y.PDF"])
    '3 file(s) (.pdf 2, no suffix 1)'
    """
    counts = Counter(Path(path).suffix.lower() or "no suffix" for path in paths)
    return f"{len(paths)} file(s) (" + ", ".join(f"{suffix} {n}" for suffix, n in counts.most_common()) + ")"


def left_out_note(paths: list[str]) -> str:
    """What was left out of the directories given, and how to tag such a file anyway.

    >>> left_out_note(["d/x.pdf"])  # doctest: +ELLIPSIS
    'skipped 1 file(s) (.pdf 1) under directories: only .csv .htm ... files are read there; name a file to tag it'
    """
    known, what = " ".join(sorted(KNOWN_SUFFIXES)), describe_left_out(paths)
    return f"skipped {what} under directories: only {known} files are read there; name a file to tag it"


def _cell_text(value: Any) -> str:
    """A table cell as text: missing values become empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)


def _plain(value: Any) -> Any:
    """A carried cell as a JSON-friendly Python value."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _rows_to_documents(
    rows: list[dict[str, Any]], source: str, first: int, text_column: str, id_column: str | None
) -> Iterator[Document | InputError]:
    """Documents from table rows; rows are numbered from 1 after the header."""
    for n, row in enumerate(rows, start=first):
        if text_column not in row:
            yield InputError(f"{source}:{n}", f"no column {text_column!r} (use --text-column)")
            continue
        text = _cell_text(row[text_column])
        doc = _cell_text(row.get(id_column)) if id_column else ""
        extra = {k: _plain(v) for k, v in row.items() if k != text_column}
        if not text.strip():
            yield InputError(f"{source}:{n}", f"empty {text_column!r} cell")
            continue
        yield Document(doc or f"{source}:{n}", text, extra)


def _check_columns(columns: list[str], source: str, text_column: str, id_column: str | None) -> None:
    """Refuse a table that lacks the text or id column."""
    for name, flag in ((text_column, "--text-column"), (id_column, "--id-column")):
        if name and name not in columns:
            raise InputError(source, f"no column {name!r} (columns: {', '.join(map(str, columns))}; use {flag})")


def _read_csv(path: str, text_column: str, id_column: str | None) -> Iterator[Document | InputError]:
    """Documents from a CSV file in any encoding a text file may have, read in chunks."""
    import pandas as pd

    encoding = _sniff_file(path)
    try:
        reader = pd.read_csv(path, chunksize=TABLE_CHUNK_ROWS, dtype=str, keep_default_na=False, encoding=encoding)
        first = 1
        for chunk in reader:
            _check_columns(list(chunk.columns), path, text_column, id_column)
            yield from _rows_to_documents(chunk.to_dict("records"), path, first, text_column, id_column)
            first += len(chunk)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"not a readable {encoding} CSV file ({str(exc).splitlines()[0]})") from exc


def _sniff_file(path: str, unknown: str | None = None) -> str:
    """The encoding of a table file, judged from its first SNIFF_BYTES bytes (see `sniff_encoding`)."""
    with open(path, "rb") as handle:
        sample = handle.read(SNIFF_BYTES + 1)
    return sniff_encoding(sample[:SNIFF_BYTES], path, complete=len(sample) <= SNIFF_BYTES, unknown=unknown)


def _text_lines(path: str) -> Iterator[tuple[int, str | InputError]]:
    """The numbered lines of a text file, each decoded on its own so that a bad line spoils only itself.

    A line is UTF-8 when it decodes as UTF-8, else in the encoding judged from the file's start (or from
    the line itself, in a file that starts in UTF-8). UTF-16 and UTF-32 files (byte-order mark) are decoded whole.
    """
    encoding = _sniff_file(path, unknown="utf-8")
    if encoding in ("utf-16", "utf-32"):
        try:
            with open(path, encoding=encoding) as handle:
                yield from enumerate(handle, start=1)
        except UnicodeDecodeError as exc:
            raise InputError(path, f"invalid {encoding} ({exc.reason})") from exc
        return
    with open(path, "rb") as handle:
        for n, raw in enumerate(handle, start=1):
            try:
                yield n, raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield n, _decode_line(raw, encoding, f"{path}:{n}", exc.reason)


def _decode_line(raw: bytes, encoding: str, source: str, reason: str) -> str | InputError:
    """A line that is not UTF-8, in its file's encoding, else (in a UTF-8 file) in the one the line is judged to be."""
    other = encoding if not encoding.startswith("utf-8") else guess_chinese_encoding(raw)
    try:
        if other is not None:
            return raw.decode(other)
    except UnicodeDecodeError:
        pass
    return InputError(source, f"not valid UTF-8{f' or {other}' if other else ''} ({reason})")


def _read_jsonl(path: str, text_column: str, id_column: str | None) -> Iterator[Document | InputError]:
    """Documents from a JSON Lines file in any encoding a text file may have; a broken line is reported and skipped."""
    for n, line in _text_lines(path):
        if isinstance(line, InputError):
            yield line
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(f"{path}:{n}", f"invalid JSON ({exc})")
            continue
        if not isinstance(row, dict):
            yield InputError(f"{path}:{n}", "a JSON line must be an object")
            continue
        yield from _rows_to_documents([row], path, n, text_column, id_column)


def _read_parquet(path: str, text_column: str, id_column: str | None) -> Iterator[Document | InputError]:
    """Documents from a Parquet file, read by record batch."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from exc
    _check_columns(parquet.schema_arrow.names, path, text_column, id_column)
    first = 1
    for batch in parquet.iter_batches(batch_size=TABLE_CHUNK_ROWS):
        rows = batch.to_pylist()
        yield from _rows_to_documents(rows, path, first, text_column, id_column)
        first += len(rows)


def iter_documents(
    paths: list[str], text_column: str = "text", id_column: str | None = None, left_out: list[str] | None = None
) -> Iterator[Document | InputError]:
    """Every document of the inputs, in order; a failing input yields its InputError and the rest go on.

    Files under directories whose suffix is not read are appended to `left_out` when it is given.
    """
    for item in expand_paths(paths, left_out):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield from _read_one(item, text_column, id_column)
        except InputError as exc:
            yield exc
        except OSError as exc:
            yield InputError(item, exc.strerror or str(exc))


def _read_one(path: str, text_column: str, id_column: str | None) -> Iterator[Document | InputError]:
    """The documents of one input path."""
    if path == "-":
        yield Document(STDIN, read_document(sys.stdin.buffer.read(), STDIN))
        return
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        yield from _read_csv(path, text_column, id_column)
    elif suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path, text_column, id_column)
    elif suffix == ".parquet":
        yield from _read_parquet(path, text_column, id_column)
    else:
        data = Path(path).read_bytes()
        yield Document(path, read_document(data, path, html=True if suffix in HTML_SUFFIXES else None))
