import json

from classifier.card import BEGIN, END, render_card, replace_card
from classifier.predictor import default_model_dir

from .conftest import ROOT


def test_readme_model_card_matches_the_bundled_model():
    meta = json.loads((default_model_dir() / "meta.json").read_text("utf-8"))
    readme = (ROOT / "README.md").read_text("utf-8")
    assert replace_card(readme, render_card(meta)) == readme, "run `measures card` after training"


def test_card_shows_every_label_and_the_averages():
    meta = json.loads((default_model_dir() / "meta.json").read_text("utf-8"))
    card = render_card(meta)
    for label in meta["labels"]:
        assert f"| `{label['id']}` | {label['name']} |" in card
    assert f"{meta['cv']['macro_f1']:.3f}" in card
    assert str(meta["training_data"]["rows"]) in card


def test_replace_card_needs_the_markers():
    import pytest

    with pytest.raises(ValueError):
        replace_card("no markers here", "card")
    assert BEGIN in replace_card(f"{BEGIN}\nold\n{END}", "new")
