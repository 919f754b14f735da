"""Agreement between our labels and two blind re-annotations of 800 labelled sentences.

Run from the repository root: `python labels/reannotation/agreement.py`. Prints, per label, Cohen's
kappa of each pair of label sets, on all 800 rows and on the 300 drawn at random (the other rows were
drawn from hard cases, where agreement is lower by design). `before` is our labels when the sample was
drawn; `now` is `labels/sentences.csv` as it stands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from classifier.labels import load_schema
from classifier.training import label_matrix

HERE = Path(__file__).parent
PAIRS = [
    ("before", "annotator_a"),
    ("before", "annotator_b"),
    ("annotator_a", "annotator_b"),
    ("now", "annotator_a"),
    ("now", "annotator_b"),
]


def matrix(column: pd.Series, label_ids: list[str]) -> np.ndarray:
    """The 0/1 label matrix of a column of `;`-joined label strings."""
    return label_matrix([labels.split(";") for labels in column.fillna("")], label_ids)


def main() -> None:
    """Print the kappa tables as Markdown."""
    label_ids = [label.id for label in load_schema(HERE.parent / "schema.csv")]
    sample = pd.read_csv(HERE / "labels.csv", dtype=str)
    current = pd.read_csv(HERE.parent / "sentences.csv", dtype=str).set_index("id")["labels"]
    sample["now"] = sample["id"].map(current)
    for name, rows in (("all 800 rows", sample), ("the 300 random rows", sample[sample["sample"] == "random"])):
        print(f"\nCohen's kappa, {name}:\n")
        print("| label | " + " | ".join(f"{a} ~ {b}" for a, b in PAIRS) + " |")
        print("|---" * (len(PAIRS) + 1) + "|")
        matrices = {column: matrix(rows[column], label_ids) for column in {column for pair in PAIRS for column in pair}}
        for k, label in enumerate(label_ids):
            kappas = [cohen_kappa_score(matrices[a][:, k], matrices[b][:, k]) for a, b in PAIRS]
            print(f"| `{label}` | " + " | ".join(f"{kappa:.2f}" for kappa in kappas) + " |")


if __name__ == "__main__":
    main()
