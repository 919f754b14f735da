"""Agreement between our labels and two blind re-annotations of 800 labelled sentences.

Run from the repository root: `python labels/reannotation/agreement.py`. Prints, per label, Cohen's
kappa of each pair of label sets, on all 800 rows and on the 300 drawn at random (the other rows were
drawn from hard cases, where agreement is lower by design). `before` is our labels when the sample was
drawn; `now` is `labels/sentences.csv` as it stands.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).parent
LABELS = ["testing", "isolation", "supply", "port_control", "discipline"]
PAIRS = [
    ("before", "annotator_a"),
    ("before", "annotator_b"),
    ("annotator_a", "annotator_b"),
    ("now", "annotator_a"),
    ("now", "annotator_b"),
]


def has(column: pd.Series, label: str) -> pd.Series:
    """Whether each `;`-joined label string in `column` contains `label`."""
    return column.fillna("").str.split(";").apply(lambda labels: label in labels)


def main() -> None:
    """Print the kappa tables as Markdown."""
    sample = pd.read_csv(HERE / "labels.csv", dtype=str)
    current = pd.read_csv(HERE.parent / "sentences.csv", dtype=str).set_index("id")["labels"]
    sample["now"] = sample["id"].map(current)
    for name, rows in (("all 800 rows", sample), ("the 300 random rows", sample[sample["sample"] == "random"])):
        print(f"\nCohen's kappa, {name}:\n")
        print("| label | " + " | ".join(f"{a} ~ {b}" for a, b in PAIRS) + " |")
        print("|---" * (len(PAIRS) + 1) + "|")
        for label in LABELS:
            kappas = [cohen_kappa_score(has(rows[a], label), has(rows[b], label)) for a, b in PAIRS]
            print(f"| `{label}` | " + " | ".join(f"{k:.2f}" for k in kappas) + " |")


if __name__ == "__main__":
    main()
