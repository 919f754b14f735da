"""Output writers for tagged records: JSON Lines, CSV or Parquet, written to a temporary name first."""

from __future__ import annotations

import csv
import json
import os
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


class RecordWriter:
    """Writes records to `path` (or a stream) and makes the file appear only on `close(ok=True)`."""

    def __init__(self, path: str | None, stream: IO[str] | None = None) -> None:
        self.path = path
        self.format = "jsonl" if path is None else FORMATS.get(Path(path).suffix.lower(), "")
        if not self.format:
            raise InputError(str(path), f"unknown output format; use one of {', '.join(sorted(FORMATS))}")
        self.dropped_columns: set[str] = set()
        self._columns: list[str] | None = None
        self._rows: list[dict[str, Any]] = []
        self._parquet: Any = None
        self._csv: Any = None
        if path is None:
            self._temp = None
            self._handle = stream
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

    def close(self, ok: bool = True) -> None:
        """Finish: on success move the file to its name, otherwise remove the partial file."""
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
                elif os.path.exists(self._temp):
                    os.unlink(self._temp)
