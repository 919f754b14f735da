"""The `measures` command line: a thin layer over the library that prints and sets exit codes."""

from __future__ import annotations

import json
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .errors import InputError, MeasuresError

app = typer.Typer(
    help="Tag sentences of Chinese COVID-19 prevention articles with the policy measures they state.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ModelOption = Annotated[
    Optional[Path],
    typer.Option("--model", envvar="MEASURES_MODEL", help="Model directory (default: the bundled model)."),
]


class Level(str, Enum):
    """Output granularity of `measures tag`."""

    sentence = "sentence"
    article = "article"


def _fail(message: str, code: int = 1) -> None:
    """Print `Error: message` on stderr and exit."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _load(model: Path | None, threshold: float | None = None):  # noqa: ANN202
    """Load the predictor or exit with its error."""
    from .predictor import Predictor

    try:
        return Predictor.load(model, threshold=threshold)
    except MeasuresError as exc:
        _fail(str(exc))


def _progress():  # noqa: ANN202
    """A progress display on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} documents tagged"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _terminate(signum: int, frame: Any) -> None:
    """Turn SIGTERM into KeyboardInterrupt so outputs are closed as on Ctrl-C."""
    raise KeyboardInterrupt


@app.command()
def tag(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or - for stdin.")],
    output: Annotated[Optional[str], typer.Option("-o", "--output", help="Write .jsonl, .csv or .parquet.")] = None,
    level: Annotated[Level, typer.Option(help="One row per sentence or per article.")] = Level.sentence,
    threshold: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="One cut-off for all labels.")] = None,
    text_column: Annotated[str, typer.Option(help="Text column of CSV/JSONL/Parquet inputs.")] = "text",
    id_column: Annotated[Optional[str], typer.Option(help="Id column of table inputs.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    resume: Annotated[
        bool, typer.Option(help="Continue an interrupted run: skip documents already in the -o .jsonl file.")
    ] = False,
    model: ModelOption = None,
    dask: Annotated[
        Optional[str],
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run on a Dask cluster (tcp://host:8786, or 'local'); -o is then a Parquet dataset directory "
            "or a .jsonl file, and partitions already written are skipped.",
        ),
    ] = None,
) -> None:
    """Tag every sentence of the input articles; JSON Lines on stdout unless -o is given."""
    from collections import deque

    if dask is not None:
        options = {"text_column": text_column, "id_column": id_column, "threshold": threshold, "level": level.value}
        _tag_on_dask(paths, output, dask, model, **options)
        return

    from .batch import NO_SENTENCES, records_for, tag_parallel
    from .sources import iter_documents, left_out_note
    from .writers import RecordWriter

    predictor = _load(model, threshold)
    try:
        writer = RecordWriter(output, stream=sys.stdout, resume=resume)
    except InputError as exc:
        _fail(str(exc), 2)
    failures: list[InputError] = []
    left_out: list[str] = []
    queued: deque[Any] = deque()

    def report(error: InputError) -> None:
        failures.append(error)
        typer.echo(f"Error: {error}", err=True)

    def texts() -> Any:
        for item in iter_documents(paths, text_column, id_column, left_out):
            if isinstance(item, InputError):
                report(item)
            elif str(item.doc) not in writer.done_docs:
                queued.append(item)
                yield item.text

    if jobs > 1:
        articles = tag_parallel(texts(), predictor, jobs)
    else:
        articles = predictor.tag_many(texts())
    signal.signal(signal.SIGTERM, _terminate)
    done = 0
    progress = _progress()
    status = "failed"
    try:
        if progress:
            progress.start()
            task = progress.add_task("tag")
        for article in articles:
            item = queued.popleft()
            if not article.sentences:
                report(InputError(str(item.doc), NO_SENTENCES))
                continue
            for record in records_for(item.doc, article, item.extra, level.value):
                writer.write(record)
            writer.end_document()
            done += 1
            if progress:
                progress.update(task, completed=done)
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
    except BrokenPipeError:
        status = "broken pipe"
    finally:
        if progress:
            progress.stop()
        # A run in which every input failed leaves no empty file behind (nor replaces an older one).
        wrote = status == "ok" and (done > 0 or not failures or bool(writer.done_docs))
        try:
            writer.close(ok=wrote, keep_partial=status == "interrupted")
        except InputError as exc:
            _fail(str(exc))
    if status == "broken pipe":
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1)
    if status == "interrupted":
        resumable = output is not None and writer.format == "jsonl"
        kept = f"; {done} document(s) kept in {writer.path}.part, rerun with --resume" if resumable else ""
        _fail(f"interrupted{kept}", 130)
    if left_out:
        typer.echo(f"Note: {left_out_note(left_out)}", err=True)
    if writer.dropped_columns:
        typer.echo(
            f"Warning: columns {sorted(writer.dropped_columns)} appeared after the first row and are "
            "not in the output; use JSON Lines output to keep them",
            err=True,
        )
    if failures:
        unwritten = f"; {output} not written" if output is not None and not wrote else ""
        typer.echo(f"{len(failures)} input(s) failed, {done} document(s) tagged{unwritten}", err=True)
        raise typer.Exit(1)


def _tag_on_dask(paths: list[str], output: str | None, address: str, model: Path | None, **options: Any) -> None:
    """`measures tag --dask`: run the job on the cluster, print errors as they come, exit 1 if any."""
    from .distributed import run_on_dask

    try:
        report = run_on_dask(
            paths, output, address, model, **options, on_error=lambda message: typer.echo(f"Error: {message}", err=True)
        )
    except InputError as exc:
        _fail(str(exc), 2)
    except MeasuresError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; the partitions already written are kept: run the same command again to go on", 130)
    if report.stale:
        typer.echo(
            f"Warning: {len(report.stale)} part file(s) in {output} come from other inputs or options "
            f"(e.g. {report.stale[0]}); remove them before reading the dataset",
            err=True,
        )
    if report.left_out:
        from .sources import left_out_note

        typer.echo(f"Note: {left_out_note(report.left_out)}", err=True)
    typer.echo(report.summary(), err=True)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="Labelled sentences CSV.")] = Path("labels/sentences.csv"),
    schema: Annotated[Path, typer.Option(help="Label schema CSV.")] = Path("labels/schema.csv"),
    output: Annotated[Path, typer.Option("-o", "--output", help="Model directory to write.")] = Path("models/default"),
    folds: Annotated[int, typer.Option(min=2, help="Grouped cross-validation folds.")] = 5,
) -> None:
    """Train a model from labelled sentences and write it as a model directory."""
    from .training import train as run_training

    try:
        meta = run_training(data, schema, output, folds)
    except MeasuresError as exc:
        _fail(str(exc))
    cv = meta["cv"]
    typer.echo(f"Wrote {output} ({meta['training_data']['rows']} sentences, {meta['training_seconds']} s)")
    typer.echo(_score_table(cv))


def _score_table(result: dict[str, Any]) -> str:
    """Per-label precision/recall/F1 as aligned text."""
    lines = [f"{'label':<14}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for label, s in result["per_label"].items():
        lines.append(f"{label:<14}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}{s['support']:>6}")
    lines.append(f"{'micro F1':<14}{result['micro_f1']:>21.3f}")
    lines.append(f"{'macro F1':<14}{result['macro_f1']:>21.3f}")
    return "\n".join(lines)


@app.command()
def evaluate(
    csv_path: Annotated[
        Optional[Path],
        typer.Argument(
            metavar="[CSV]", help="Labelled CSV (id,text,labels); without it, grouped CV on the training labels."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    model: ModelOption = None,
    data: Annotated[Path, typer.Option(help="Training labels, for cross-validation.")] = Path("labels/sentences.csv"),
    schema: Annotated[Path, typer.Option(help="Label schema CSV.")] = Path("labels/schema.csv"),
) -> None:
    """Score a model on labelled sentences: per-label precision, recall and F1, micro and macro F1."""
    from .training import cross_validate, evaluate_file

    try:
        result = cross_validate(data, schema) if csv_path is None else evaluate_file(_load(model), csv_path)
    except MeasuresError as exc:
        _fail(str(exc))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else _score_table(result))


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="A sentence.")],
    top: Annotated[int, typer.Option(min=1, help="Terms shown per label.")] = 5,
    model: ModelOption = None,
) -> None:
    """Show the labels of a sentence and the terms that weighed most for each label."""
    predictor = _load(model)
    proba = predictor.predict_proba([text]).iloc[0]
    labels = predictor.predict([text])[0]
    typer.echo(f"labels: {', '.join(labels) or '(none)'}")
    for label, terms in predictor.explain(text, top=top).items():
        shown = ", ".join(f"{term} {weight:+.2f}" for term, weight in terms)
        typer.echo(f"{label:<14}{proba[label]:.3f}  {shown}")


@app.command()
def segment(file: Annotated[str, typer.Argument(help="A text or HTML file, or - for stdin.")]) -> None:
    """Print the normalised sentences of an article, one per line."""
    from .segment import split_sentences
    from .sources import iter_documents
    from .textnorm import normalise

    for item in iter_documents([file]):
        if isinstance(item, InputError):
            _fail(str(item))
        for sentence in split_sentences(normalise(item.text)):
            typer.echo(sentence)


@app.command()
def card(
    readme: Annotated[Path, typer.Option(help="Markdown file with a model-card section.")] = Path("README.md"),
    check: Annotated[bool, typer.Option("--check", help="Only check the section is up to date.")] = False,
    model: ModelOption = None,
) -> None:
    """Rewrite the model-card section of the README from the model's meta.json."""
    from .artifact import read_meta
    from .card import render_card, replace_card
    from .predictor import default_model_dir

    try:
        meta = read_meta(model or default_model_dir())
        text = readme.read_text(encoding="utf-8")
        updated = replace_card(text, render_card(meta))
    except (MeasuresError, OSError, ValueError) as exc:
        _fail(f"{readme}: {exc}" if not isinstance(exc, MeasuresError) else str(exc))
    if check:
        if updated != text:
            _fail(f"{readme}: the model card is out of date; run `measures card`")
        return
    readme.write_text(updated, encoding="utf-8")
    typer.echo(f"Updated the model card in {readme}")


def main() -> None:
    """Entry point of the `measures` script."""
    app()
