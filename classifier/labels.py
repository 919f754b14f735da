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


def load_schema(path: str | Path) -> list[Label]:
    """Read the schema CSV (`id,name,definition`) and check ids are unique and well formed."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(SCHEMA_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise LabelDataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            labels = [Label(r["id"].strip(), r["name"].strip(), r["definition"].strip()) for r in reader]
    except OSError as exc:
        raise LabelDataError(f"{path}: cannot read the label schema ({exc.strerror})") from exc
    ids = [label.id for label in labels]
    if not ids:
        raise LabelDataError(f"{path}: the schema defines no labels")
    bad = [i for i in ids if not i.isidentifier()]
    if bad or len(set(ids)) != len(ids):
        raise LabelDataError(f"{path}: label ids must be unique identifiers, got {ids}")
    return labels
