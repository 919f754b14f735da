"""The label schema: which categories exist, read from a CSV so adding one is a data change."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .errors import LabelDataError

SCHEMA_COLUMNS = ("id", "name", "definition")


@dataclass(frozen=True)
class Label:
    """One category: its id, Chinese name and definition."""

    id: str
    name: str
    definition: str


def parse_labels(field: str) -> tuple[str, ...]:
    """Split a `;`-joined label field into ids; empty means none.

    >>> parse_labels("testing; isolation"), parse_labels("")
    (('testing', 'isolation'), ())
    """
    return tuple(part.strip() for part in field.split(";") if part.strip())


def read_csv_rows(path: str | Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a UTF-8 CSV file that must have the `required` columns; LabelDataError otherwise."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(required) - set(reader.fieldnames or ())
            if missing:
                raise LabelDataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            return list(reader)
    except OSError as exc:
        raise LabelDataError(f"{path}: cannot read ({exc.strerror})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LabelDataError(f"{path}: not a UTF-8 CSV file ({exc})") from exc


def load_schema(path: str | Path) -> list[Label]:
    """Read the schema CSV (`id,name,definition`) and check ids are unique and well formed."""
    rows = read_csv_rows(path, SCHEMA_COLUMNS)
    labels = [Label((r["id"] or "").strip(), (r["name"] or "").strip(), (r["definition"] or "").strip()) for r in rows]
    ids = [label.id for label in labels]
    if not ids:
        raise LabelDataError(f"{path}: the schema defines no labels")
    bad = [i for i in ids if not i.isidentifier()]
    if bad or len(set(ids)) != len(ids):
        raise LabelDataError(f"{path}: label ids must be unique identifiers, got {ids}")
    return labels
