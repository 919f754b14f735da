"""Shared fixtures: paths to the repository's data and a model trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
LABELS = ROOT / "labels" / "sentences.csv"
SCHEMA = ROOT / "labels" / "schema.csv"
DEV = ROOT.parent / "shared" / "eval" / "dev.csv"


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The raw text of each seed article, by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in SEEDS}


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained in this session from the repository's labels (3-fold CV to keep it quick)."""
    from classifier.training import train

    out = tmp_path_factory.mktemp("model") / "trained"
    train(LABELS, SCHEMA, out, folds=3)
    return out


@pytest.fixture(scope="session")
def predictor(trained_dir: Path):
    """A Predictor on the session's trained model."""
    from classifier import Predictor

    return Predictor.load(trained_dir)


@pytest.fixture(scope="session")
def bundled():
    """The bundled model, as users get it."""
    from classifier import Predictor

    return Predictor.load()
