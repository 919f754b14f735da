"""Tagging on Dask: a real loopback cluster (scheduler, two worker processes) matches the local output row for row."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier.cli import app
from classifier.errors import InputError, ModelError
from classifier.segment import split_sentences
from classifier.textnorm import normalise

from .conftest import ROOT, SEEDS

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from classifier import distributed as cd  # noqa: E402

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(autouse=True)
def no_model_from_environment(monkeypatch):
    monkeypatch.delenv("MEASURES_MODEL", raising=False)


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two single-threaded worker processes, on 127.0.0.1 only."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


@pytest.fixture(scope="module")
def address(cluster):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    return cluster.scheduler_address


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def model(trained_dir):
    return str(trained_dir)


def write_dataset(directory: Path) -> Path:
    """A Parquet dataset of the seed sentences: three files, an id column and two carried columns."""
    rows = [
        {"id": f"{path.stem}#{i}", "text": text, "seed": path.name, "n": i}
        for path in SEEDS
        for i, text in enumerate(split_sentences(normalise(path.read_text(encoding="utf-8"))))
    ]
    frame = pd.DataFrame(rows)
    directory.mkdir(parents=True)
    third = len(frame) // 3
    for k, part in enumerate([frame.iloc[:third], frame.iloc[third : 2 * third], frame.iloc[2 * third :]]):
        part.to_parquet(directory / f"sentences-{k}.parquet", index=False)
    return directory


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("dask") / "sentences")


TABLE = ("--text-column", "text", "--id-column", "id")


@pytest.fixture(scope="module")
def local_jsonl(dataset, model, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "tags.jsonl"
    result = invoke("tag", dataset, *TABLE, "--model", model, "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def local_parquet(dataset, model, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "tags.parquet"
    assert invoke("tag", dataset, *TABLE, "--model", model, "-o", out).exit_code == 0
    return pd.read_parquet(out)


def records(frame):
    return frame.reset_index(drop=True).to_dict("records")


def test_cli_on_the_cluster_writes_the_local_jsonl_byte_for_byte(dataset, model, address, local_jsonl, tmp_path):
    out = tmp_path / "tags.jsonl"
    result = invoke("tag", dataset, *TABLE, "--model", model, "-o", out, "--dask", address)
    assert result.exit_code == 0, result.stderr
    assert "3 partition(s) written, 0 already there, 0 failed" in result.stderr
    assert out.read_bytes() == local_jsonl.read_bytes()
    assert len(local_jsonl.read_text(encoding="utf-8").splitlines()) >= 100
    assert not Path(f"{out}.parts").exists()


def test_cli_on_the_cluster_writes_a_parquet_dataset_equal_to_the_local_parquet(
    dataset, model, address, local_parquet, tmp_path
):
    out = tmp_path / "tags"
    result = invoke("tag", dataset, *TABLE, "--model", model, "-o", out, "--dask", address)
    assert result.exit_code == 0, result.stderr
    parts = sorted(p.name for p in out.iterdir())
    assert len(parts) == 3 and all(p.startswith("part-") and p.endswith(".parquet") for p in parts)
    tagged = pd.read_parquet(out)
    assert list(tagged.columns) == list(local_parquet.columns)
    assert records(tagged) == records(local_parquet)
    assert set(local_parquet.columns) >= {"doc", "index", "text", "labels", "score_testing", "id", "seed", "n"}


def test_article_level_on_the_cluster_equals_local(dataset, model, address, tmp_path):
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    assert invoke("tag", dataset, *TABLE, "--model", model, "--level", "article", "-o", local).exit_code == 0
    result = invoke("tag", dataset, *TABLE, "--model", model, "--level", "article", "-o", remote, "--dask", address)
    assert result.exit_code == 0, result.stderr
    assert remote.read_bytes() == local.read_bytes()


def test_api_returns_a_dask_dataframe_equal_to_the_local_tags(dataset, model, client, local_parquet):
    from_files = cd.tag_dask(str(dataset / "*.parquet"), model, id_column="id", client=client)
    assert isinstance(from_files, dd.DataFrame)
    assert from_files.npartitions == 3
    assert records(from_files.compute()) == records(local_parquet)
    from_frame = cd.tag_dask(dd.read_parquet(str(dataset / "*.parquet")), model, id_column="id", client=client)
    assert records(from_frame.compute()) == records(local_parquet)
    chained = from_frame[from_frame.labels.str.contains("testing")].doc.count().compute()
    assert chained == local_parquet.labels.str.contains("testing").sum()


def test_api_tags_a_directory_of_text_files_like_the_local_run(model, client, tmp_path):
    local = tmp_path / "local.parquet"
    assert invoke("tag", ROOT / "seeds", "--model", model, "-o", local).exit_code == 0
    tagged = cd.tag_dask(str(ROOT / "seeds"), model, client=client, files_per_partition=2)
    assert tagged.npartitions == 3
    assert records(tagged.compute()) == records(pd.read_parquet(local))


def test_each_worker_loads_the_model_once(dataset, model, client, tmp_path):
    for run in range(2):
        report = cd.tag_files([str(dataset)], str(tmp_path / f"run{run}"), client, model, id_column="id")
        assert report.count("written") == 3
    sha = json.loads((Path(model) / "meta.json").read_text(encoding="utf-8"))["model_sha256"]
    loads = client.run(cd.model_loads)
    assert len(loads) == 2
    assert all(counts == {sha: 1} for counts in loads.values())


def test_workers_check_the_model_sha256(model, client):
    good = cd.read_payload(model)
    tampered = cd.ModelPayload("0" * 64, good.model + b"x", good.meta, "tampered")
    with pytest.raises(ModelError, match="sha256"):
        client.submit(cd.worker_predictor, tampered, pure=False).result()
    with pytest.raises(ModelError, match="sha256"):
        cd.worker_predictor(tampered)


def copy_with_one_bad_file(dataset, model, address, tmp_path, name, data, output):
    """A copy of the dataset with one more file `name` holding `data`; the file, the output and the tag arguments."""
    inputs = tmp_path / "inputs"
    shutil.copytree(dataset, inputs)
    bad = inputs / name
    bad.write_bytes(data)
    out = tmp_path / output
    return bad, out, ("tag", inputs, *TABLE, "--model", model, "-o", out, "--dask", address)


def test_a_bad_file_is_reported_by_name_the_rest_written_and_a_rerun_skips_what_exists(
    dataset, model, address, tmp_path
):
    bad, out, args = copy_with_one_bad_file(
        dataset, model, address, tmp_path, "sentences-1b.parquet", b"this is not a parquet file", "tags"
    )

    first = invoke(*args)
    assert first.exit_code == 1
    assert f"Error: {bad}: not a readable Parquet file" in first.stderr
    assert "3 partition(s) written, 0 already there, 1 failed" in first.stderr
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert len(written) == 3

    second = invoke(*args)
    assert second.exit_code == 1
    assert f"Error: {bad}: not a readable Parquet file" in second.stderr
    assert "0 partition(s) written, 3 already there, 1 failed" in second.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")} == written

    pd.read_parquet(dataset / "sentences-1.parquet").assign(id=lambda f: f.id + "b").to_parquet(bad, index=False)
    third = invoke(*args)
    assert third.exit_code == 0, third.stderr
    assert "1 partition(s) written, 3 already there, 0 failed" in third.stderr
    now = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert len(now) == 4 and all(now[name] == mtime for name, mtime in written.items())
    local = tmp_path / "local.parquet"
    assert invoke("tag", bad.parent, *TABLE, "--model", model, "-o", local).exit_code == 0
    assert records(pd.read_parquet(out)) == records(pd.read_parquet(local))

    other = invoke(*args, "--threshold", "0.5")
    assert other.exit_code == 0, other.stderr
    assert "4 partition(s) written, 0 already there" in other.stderr
    assert "Warning: 4 part file(s)" in other.stderr


def test_jsonl_parts_stay_until_every_partition_succeeded(dataset, model, address, tmp_path):
    broken, out, args = copy_with_one_bad_file(
        dataset, model, address, tmp_path, "zz-broken.csv", b"\xff\xfe\x00 not utf-8 \xff", "tags.jsonl"
    )
    result = invoke(*args)
    assert result.exit_code == 1
    assert f"Error: {broken}: not a readable utf-16 CSV file" in result.stderr  # it starts with a UTF-16 BOM
    assert len(list(Path(f"{out}.parts").glob("part-*.jsonl"))) == 3
    assert out.exists()
    broken.write_text("id,text\nz1,全员核酸检测。\n", encoding="utf-8")
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert "1 partition(s) written, 3 already there, 0 failed" in result.stderr
    assert not Path(f"{out}.parts").exists()
    local = tmp_path / "local.jsonl"
    assert invoke("tag", broken.parent, *TABLE, "--model", model, "-o", local).exit_code == 0
    assert out.read_bytes() == local.read_bytes()


def test_a_text_file_that_is_not_text_is_reported_and_its_partition_written_like_locally(model, address, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "seeds", corpus)
    (corpus / "001b_empty.txt").write_bytes(b"")
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    expected = invoke("tag", corpus, "--model", model, "-o", local)
    result = invoke("tag", corpus, "--model", model, "-o", remote, "--dask", address)
    assert expected.exit_code == result.exit_code == 1
    assert f"Error: {corpus / '001b_empty.txt'}: empty file" in expected.stderr
    assert f"Error: {corpus / '001b_empty.txt'}: empty file" in result.stderr
    assert "1 partition(s) written, 0 already there, 0 failed; 5 document(s)" in result.stderr
    assert remote.read_bytes() == local.read_bytes()


def test_no_jsonl_file_when_every_input_fails_like_locally(model, address, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    out = tmp_path / "out.jsonl"
    out.write_text("an earlier run's output\n", encoding="utf-8")
    result = invoke("tag", corpus, "--model", model, "-o", out, "--dask", address)
    assert result.exit_code == 1
    assert f"Error: {corpus / 'empty.txt'}: empty file" in result.stderr
    assert "0 document(s) tagged into" in result.stderr and "(no file written: nothing was tagged)" in result.stderr
    assert out.read_text(encoding="utf-8") == "an earlier run's output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "out.jsonl"]


def test_files_left_out_of_a_directory_are_noted_like_locally(model, address, tmp_path, seed_texts):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(seed_texts[SEEDS[0].name], encoding="utf-8")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4")
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    expected = invoke("tag", corpus, "--model", model, "-o", local)
    result = invoke("tag", corpus, "--model", model, "-o", remote, "--dask", address)
    assert expected.exit_code == result.exit_code == 0
    note = next(line for line in expected.stderr.splitlines() if line.startswith("Note: skipped 1 file(s) (.pdf 1)"))
    assert note in result.stderr.splitlines()
    assert remote.read_bytes() == local.read_bytes()


def test_dask_needs_an_output(dataset, model):
    result = invoke("tag", dataset, *TABLE, "--model", model, "--dask", "local")
    assert result.exit_code == 2
    assert "--dask writes files" in result.stderr


def test_without_dask_the_option_says_how_to_install_it(dataset, model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    result = invoke("tag", dataset, *TABLE, "--model", model, "-o", tmp_path / "out", "--dask", "local")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "pip install 'policy-measures[dask]'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_importing_the_package_does_not_import_dask():
    code = "import sys, classifier, classifier.cli, classifier.distributed; print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_partitions_follow_the_local_reading_order(tmp_path):
    for name in ("b.txt", "a.txt", "c.parquet", "d.txt", "e.html"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    partitions, errors = cd.plan_partitions([str(tmp_path), str(tmp_path / "*.csv")], files_per_partition=2)
    assert [[Path(given).name for given, _ in p.files] for p in partitions] == [
        ["a.txt", "b.txt"],
        ["c.parquet"],
        ["d.txt", "e.html"],
    ]
    assert all(os.path.isabs(absolute) for p in partitions for _, absolute in p.files)
    assert [str(e) for e in errors] == [f"{tmp_path / '*.csv'}: no file matches this pattern"]
    _, errors = cd.plan_partitions(["-"])
    assert isinstance(errors[0], InputError) and errors[0].source == "-"
