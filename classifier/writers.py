"""Output writers for tagged records: JSON Lines, CSV or Parquet, written to a temporary name first."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from .errors import InputError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
PARQUET_ROWS = 50_000


def _new_file_mode() -> int:
    """The permission bits `open()` gives a new file under the current umask (mkstemp uses 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A record for a flat table: labels `;`-joined, scores as `score_<label>` columns.

    >>> flatten({"doc": "a", "labels": ["testing", "supply"], "scores": {"testing": 0.9}})
    {'doc': 'a', 'labels': 'testing;supply', 'score_testing': 0.9}
    """
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "scores" and isinstance(value, dict):
            flat.update({f"score_{k}": v for k, v in value.items()})
        elif key == "labels" and isinstance(value, list):
            flat[key] = ";".join(value)
        else:
            flat[key] = value
    return flat


def partial_path(path: str) -> str:
    """Where a JSON Lines output grows until the run completes.

    >>> partial_path("out/tags.jsonl")
    'out/tags.jsonl.part'
    """
    return f"{path}.part"


def recover_partial(partial: str, target: str) -> set[str]:
    """Prepare `partial` for appending and return the documents it holds complete.

    The partial file of an interrupted run is used, else a finished `target` is copied. Lines after
    the last valid one and all lines of the last document (it may be incomplete) are cut off.
    """
    if not os.path.exists(partial):
        if not os.path.exists(target):
            return set()
        shutil.copyfile(target, partial)
    done: set[str] = set()
    last_doc: str | None = None
    last_start = end = 0
    with open(partial, "rb") as handle:
        for line in handle:
            try:
                doc = str(json.loads(line)["doc"]) if line.endswith(b"\n") else None
            except (ValueError, KeyError, TypeError):
                doc = None
            if doc is None:
                break
            if doc != last_doc:
                if last_doc is not None:
                    done.add(last_doc)
                last_doc, last_start = doc, end
            end += len(line)
    with open(partial, "r+b") as handle:
        handle.truncate(last_start)
    return done


class RecordWriter:
    """Writes records to `path` (or a stream) and makes the file appear only on `close(ok=True)`."""

    def __init__(self, path: str | None, stream: IO[str] | None = None, resume: bool = False) -> None:
        self.path = path
        self.format = "jsonl" if path is None else FORMATS.get(Path(path).suffix.lower(), "")
        if not self.format:
            raise InputError(str(path), f"unknown output format; use one of {', '.join(sorted(FORMATS))}")
        if resume and (path is None or self.format != "jsonl"):
            raise InputError(str(path or "-"), "--resume needs an -o output file ending in .jsonl")
        #: Documents already in the output when resuming; the caller skips them.
        self.done_docs: set[str] = set()
        self.dropped_columns: set[str] = set()
        self._columns: list[str] | None = None
        self._rows: list[dict[str, Any]] = []
        self._parquet: Any = None
        self._csv: Any = None
        if path is None:
            self._temp = None
            self._handle = stream
        elif self.format == "jsonl":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._temp = partial_path(path)
            if resume:
                self.done_docs = recover_partial(self._temp, path)
            self._handle = open(self._temp, "a" if resume else "w", encoding="utf-8", newline="")
        else:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, self._temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            os.close(fd)
            os.chmod(self._temp, _new_file_mode())
            self._handle = None if self.format == "parquet" else open(self._temp, "w", encoding="utf-8", newline="")

    def write(self, record: dict[str, Any]) -> None:
        """Add one record."""
        if self.format == "jsonl":
            self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            return
        flat = flatten(record)
        if self._columns is None:
            self._columns = list(flat)
        self.dropped_columns.update(k for k in flat if k not in self._columns)
        row = {k: flat.get(k) for k in self._columns}
        if self.format == "csv":
            if self._csv is None:
                self._csv = csv.DictWriter(self._handle, fieldnames=self._columns)
                self._csv.writeheader()
            self._csv.writerow(row)
        else:
            self._rows.append(row)
            if len(self._rows) >= PARQUET_ROWS:
                self._flush_parquet()

    def _flush_parquet(self) -> None:
        """Write buffered rows as one Parquet row group."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self._rows:
            return
        try:
            if self._parquet is None:
                table = pa.Table.from_pylist(self._rows)
                self._parquet = pq.ParquetWriter(self._temp, table.schema)
            else:
                table = pa.Table.from_pylist(self._rows, schema=self._parquet.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(
                str(self.path), f"cannot write Parquet, a column mixes value types ({exc}); use .jsonl output"
            ) from exc
        self._parquet.write_table(table)
        self._rows = []

    def end_document(self) -> None:
        """Mark a document complete: its records reach the disk before the next one starts."""
        if self._handle is not None:
            self._handle.flush()

    def close(self, ok: bool = True, keep_partial: bool = False) -> None:
        """Finish: on success move the file to its name; otherwise remove the partial file.

        With `keep_partial` (an interrupted JSON Lines run) the partial file stays for `--resume`.
        """
        finished = False
        try:
            if self.format == "parquet" and ok:
                self._flush_parquet()
                if self._parquet is None:
                    import pyarrow as pa
                    import pyarrow.parquet as pq

                    pq.write_table(pa.table({}), self._temp)
            if self._parquet is not None:
                self._parquet.close()
            if self._temp is not None and self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self._handle.close()
            elif self._handle is not None:
                self._handle.flush()
            finished = True
        finally:
            if self._temp is not None:
                if ok and finished:
                    os.replace(self._temp, self.path)
                elif os.path.exists(self._temp) and not (keep_partial and self.format == "jsonl"):
                    os.unlink(self._temp)
