import pytest

from classifier.errors import LabelDataError
from classifier.labels import load_schema, parse_labels

from .conftest import ROOT, SCHEMA

IDS = ["testing", "isolation", "supply", "port_control", "discipline"]


def test_schema_defines_the_five_categories():
    labels = load_schema(SCHEMA)
    assert [label.id for label in labels] == IDS
    assert [label.name for label in labels] == ["检测筛查", "隔离管控", "物资保障", "口岸管控", "纪律问责"]
    assert all(len(label.definition) > 40 for label in labels)


def test_guideline_covers_every_category_with_examples():
    guide = (ROOT / "labels" / "GUIDELINES.md").read_text(encoding="utf-8")
    for label in IDS:
        section = guide.split(f"## {label}", 1)[1].split("\n## ", 1)[0]
        assert section.count("→") >= 3, label
        assert "Out:" in section and "In:" in section, label


def test_a_new_category_is_a_data_change(tmp_path):
    path = tmp_path / "schema.csv"
    path.write_text(SCHEMA.read_text(encoding="utf-8") + 'vaccination,疫苗接种,"Vaccination drives."\n', "utf-8")
    assert [label.id for label in load_schema(path)] == [*IDS, "vaccination"]


@pytest.mark.parametrize(
    "text",
    [
        "id,name\ntesting,检测\n",
        "id,name,definition\n",
        "id,name,definition\na,甲,x\na,乙,y\n",
        "id,name,definition\nbad id,甲,x\n",
    ],
)
def test_bad_schemas_are_refused(tmp_path, text):
    path = tmp_path / "schema.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(LabelDataError, match=str(path)):
        load_schema(path)


def test_parse_labels():
    assert parse_labels("testing;isolation") == ("testing", "isolation")
    assert parse_labels(" ; ") == ()
