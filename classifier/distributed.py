"""Tagging on a Dask cluster: sentence tags as a Dask DataFrame, or a partitioned output written by the workers.

Dask is optional (`pip install 'policy-measures[dask]'`) and imported only inside these functions.
The model travels once: its files are read on the client, checked, and scattered to every worker
(`broadcast=True`); each worker process unpickles them once, after checking their sha256 again, and
keeps the Predictor in a module-level cache keyed by that hash. Tasks carry the scattered handle,
never a pickled Predictor.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .artifact import META_FILE, MODEL_FILE, read_meta
from .batch import NO_SENTENCES, records_for
from .errors import InputError, MeasuresError, ModelError
from .predictor import Predictor, default_model_dir
from .sources import TABLE_SUFFIXES, Document, _cell_text, _plain, _read_one, expand_paths
from .writers import RecordWriter, flatten

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

#: Text and HTML files tagged in one partition (each table file is a partition of its own).
TEXT_FILES_PER_PARTITION = 64
#: What `--dask` says when Dask is not installed.
INSTALL_HINT = "Dask is not installed; install it with: pip install 'policy-measures[dask]'"
LEVELS = ("sentence", "article")
JSONL_SUFFIXES = (".jsonl", ".ndjson")

_models: dict[str, Predictor] = {}
_loads: dict[str, int] = {}
_models_lock = threading.Lock()


class DaskUnavailable(MeasuresError):
    """Dask or distributed is not installed."""


class ClusterError(MeasuresError):
    """The Dask scheduler cannot be reached or started."""


class PartitionError(MeasuresError):
    """A partition failed as a whole; the message names the file (picklable, unlike InputError)."""


def require_dask() -> None:
    """Import dask.dataframe and distributed, or raise DaskUnavailable with the install command."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskUnavailable(f"{INSTALL_HINT} ({exc})") from exc


# --- the model on the workers -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelPayload:
    """The files of a model directory as bytes, with the sha256 that `model.joblib` must have."""

    sha256: str
    model: bytes = field(repr=False)
    meta: bytes = field(repr=False)
    source: str = ""

    def __dask_tokenize__(self) -> str:
        """The hash names the payload, so scattering the same model twice reuses the first copy."""
        return f"policy-measures-model-{self.sha256}"


def read_payload(model_dir: str | Path | None = None) -> ModelPayload:
    """Read a model directory (the bundled model by default) as bytes, checking meta.json and the hash."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    meta = read_meta(directory)
    try:
        model = (directory / MODEL_FILE).read_bytes()
        meta_bytes = (directory / META_FILE).read_bytes()
    except OSError as exc:
        raise ModelError(f"{directory}: cannot read the model ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(model).hexdigest()
    if digest != meta["model_sha256"]:
        raise ModelError(
            f"{directory / MODEL_FILE}: sha256 {digest[:12]}… does not match {meta['model_sha256'][:12]}… in "
            "meta.json; refusing to send it to the workers (retrain or restore the model)"
        )
    return ModelPayload(digest, model, meta_bytes, str(directory))


def worker_predictor(payload: ModelPayload, threshold: float | None = None) -> Predictor:
    """The Predictor of `payload` in this process, loaded (and its sha256 checked) on first use only."""
    with _models_lock:
        base = _models.get(payload.sha256)
        if base is None:
            digest = hashlib.sha256(payload.model).hexdigest()
            if digest != payload.sha256:
                raise ModelError(
                    f"{payload.source}/{MODEL_FILE}: the bytes this worker received have sha256 {digest[:12]}…, "
                    f"not {payload.sha256[:12]}…; refusing to load them"
                )
            with tempfile.TemporaryDirectory(prefix="policy-measures-model-") as tmp:
                (Path(tmp) / MODEL_FILE).write_bytes(payload.model)
                (Path(tmp) / META_FILE).write_bytes(payload.meta)
                base = Predictor.load(tmp)  # checks model.joblib against the sha256 in meta.json
            if base.meta["model_sha256"] != payload.sha256:
                raise ModelError(f"{payload.source}: the model received is not the one sent (sha256 differs)")
            _models[payload.sha256] = base
            _loads[payload.sha256] = _loads.get(payload.sha256, 0) + 1
    return base if threshold is None else Predictor(base.model, base.meta, threshold)


def model_loads() -> dict[str, int]:
    """How many times this process has loaded each model, by sha256 (1 per worker is the design)."""
    return dict(_loads)


def _share(payload: ModelPayload, client: Client | None) -> Any:
    """The payload scattered once to every worker of `client`, or the payload itself without a client."""
    if client is None:
        return payload
    return client.scatter(payload, broadcast=True)


# --- partitions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """Input files tagged by one task and written to one output file: (as given, absolute) pairs."""

    number: int
    files: tuple[tuple[str, str], ...]

    @property
    def first(self) -> str:
        """The first file, as given."""
        return self.files[0][0]


@dataclass(frozen=True)
class Options:
    """What a partition task needs besides its files; small, so cheap to send with every task."""

    text_column: str = "text"
    id_column: str | None = None
    threshold: float | None = None
    level: str = "sentence"


def expand_globs(paths: Iterable[str]) -> Iterator[str | InputError]:
    """Paths with glob patterns replaced by the files they match, sorted; existing paths kept as they are."""
    for raw in paths:
        if raw != "-" and not os.path.exists(raw) and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                yield InputError(raw, "no file matches this pattern")
            yield from matches
        else:
            yield raw


def plan_partitions(
    paths: Iterable[str], files_per_partition: int = TEXT_FILES_PER_PARTITION, left_out: list[str] | None = None
) -> tuple[list[Partition], list[InputError]]:
    """Partitions of the inputs in the order `measures tag` reads them, and the inputs that do not exist.

    Each CSV/JSONL/Parquet file is a partition; consecutive text and HTML files are grouped. Files
    under directories whose suffix is not read are appended to `left_out` when it is given.
    """
    partitions: list[Partition] = []
    errors: list[InputError] = []
    texts: list[tuple[str, str]] = []

    def close_texts() -> None:
        if texts:
            partitions.append(Partition(len(partitions), tuple(texts)))
            texts.clear()

    candidates: list[str] = []
    for item in expand_globs(paths):
        if isinstance(item, InputError):
            errors.append(item)
        elif item == "-":
            errors.append(InputError("-", "standard input cannot be read by Dask workers; save it to a file"))
        else:
            candidates.append(item)
    for item in expand_paths(candidates, left_out):
        if isinstance(item, InputError):
            errors.append(item)
            continue
        pair = (item, os.path.abspath(item))
        if Path(item).suffix.lower() in TABLE_SUFFIXES:
            close_texts()
            partitions.append(Partition(len(partitions), (pair,)))
        else:
            texts.append(pair)
            if len(texts) >= files_per_partition:
                close_texts()
    close_texts()
    return partitions, errors


def as_given(name: str, absolute: str, given: str) -> str:
    """`name` (a document id or error source) with its absolute path written back as the user gave it.

    >>> as_given("/data/a.csv:3", "/data/a.csv", "a.csv"), as_given("/data/a.csvx", "/data/a.csv", "a.csv")
    ('a.csv:3', '/data/a.csvx')
    """
    if name == absolute or name.startswith(absolute + ":"):
        return given + name[len(absolute) :]
    return name


def _file_documents(partition: Partition, options: Options, problems: list[str]) -> Iterator[Document]:
    """The documents of a partition's files, problems of single documents appended to `problems`.

    A table that cannot be read, or any file that cannot be opened, fails the partition (a re-run
    retries it). A text file that is not usable text (empty, binary) is one document lost: it is
    reported and the partition goes on, as in the local run. So are bad rows of a table.
    """
    for given, absolute in partition.files:
        try:
            for item in _read_one(absolute, options.text_column, options.id_column):
                if isinstance(item, InputError):
                    problems.append(f"{as_given(item.source, absolute, given)}: {item.reason}")
                    continue
                item.doc = as_given(str(item.doc), absolute, given)
                yield item
        except InputError as exc:
            if Path(given).suffix.lower() in TABLE_SUFFIXES:
                raise PartitionError(f"{given}: {exc.reason}") from exc
            problems.append(f"{given}: {exc.reason}")
        except OSError as exc:
            raise PartitionError(f"{given}: {exc.strerror or exc}") from exc
        except Exception as exc:  # a broken table may fail inside pandas or pyarrow: name the file, not the task
            raise PartitionError(f"{given}: {type(exc).__name__}: {exc}") from exc


def _frame_documents(frame: pd.DataFrame, options: Options) -> Iterator[Document]:
    """The documents of a pandas partition: one per row with text; the id column or the index names it."""
    for name in (options.text_column, options.id_column):
        if name and name not in frame.columns:
            raise PartitionError(f"no column {name!r}; columns are {list(frame.columns)}")
    for label, row in zip(frame.index.tolist(), frame.to_dict("records")):
        text = _cell_text(row[options.text_column])
        if not text.strip():
            continue
        doc = _cell_text(row.get(options.id_column)) if options.id_column else ""
        extra = {str(k): _plain(v) for k, v in row.items() if k != options.text_column}
        yield Document(doc or str(_plain(label)), text, extra)


def _records(
    documents: Iterable[Document], predictor: Predictor, level: str, problems: list[str]
) -> Iterator[dict[str, Any]]:
    """Output records of tagged documents, as the local `measures tag` writes them."""
    queued: deque[Document] = deque()

    def texts() -> Iterator[str]:
        for item in documents:
            queued.append(item)
            yield item.text

    for article in predictor.tag_many(texts()):
        item = queued.popleft()
        if not article.sentences:
            problems.append(f"{item.doc}: {NO_SENTENCES}")
        else:
            yield from records_for(item.doc, article, item.extra, level)


def _meta_frame(labels: list[str], extra: dict[str, Any], level: str) -> pd.DataFrame:
    """The empty frame a partition of flattened records looks like (the Dask `meta`)."""
    import pandas as pd

    from .predictor import Article, Sentence

    article = Article([Sentence(0, "", [], dict.fromkeys(labels, 0.0))], labels)
    records = records_for("", article, extra, level)
    return pd.DataFrame.from_records([flatten(r) for r in records]).iloc[:0]


def _to_frame(records: Iterable[dict[str, Any]], meta: pd.DataFrame) -> pd.DataFrame:
    """Flattened records as a pandas frame with the columns of `meta`."""
    import pandas as pd

    rows = [flatten(r) for r in records]
    if not rows:
        return meta.copy()
    return pd.DataFrame.from_records(rows, columns=list(meta.columns))


def _tag_files_frame(partition: Partition, payload: ModelPayload, options: Options, meta: pd.DataFrame) -> pd.DataFrame:
    """Read and tag one partition of files on a worker, as a frame; a bad file raises PartitionError."""
    predictor = worker_predictor(payload, options.threshold)
    return _to_frame(_records(_file_documents(partition, options, []), predictor, options.level, []), meta)


def _tag_pandas(frame: pd.DataFrame, payload: ModelPayload, options: Options, meta: pd.DataFrame) -> pd.DataFrame:
    """Tag one partition of a Dask DataFrame on a worker."""
    predictor = worker_predictor(payload, options.threshold)
    return _to_frame(_records(_frame_documents(frame, options), predictor, options.level, []), meta)


def _check_level(level: str) -> None:
    """Refuse an unknown output level."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def _default_client() -> Client | None:
    """The current distributed client, if there is one."""
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def tag_dask(
    data: dd.DataFrame | str | list[str],
    model: str | Path | None = None,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    threshold: float | None = None,
    level: str = "sentence",
    client: Client | None = None,
    files_per_partition: int = TEXT_FILES_PER_PARTITION,
) -> dd.DataFrame:
    """Sentence (or article) tags of a Dask DataFrame or of files (paths, directories, globs), as a Dask DataFrame.

    Rows are the records of `measures tag`, flattened as in its Parquet output (`labels` joined by
    `;`, one `score_<label>` column per label), carried columns after them. The model is sent to the
    workers of `client` (default: the current client) now; without a client, Dask's local scheduler
    runs the tasks in this process. Rows whose text is empty are left out. When computed, a file that
    cannot be read raises PartitionError naming it (`tag_files` reports such files and goes on).
    """
    require_dask()
    import dask.dataframe as dd

    _check_level(level)
    client = client if client is not None else _default_client()
    payload = read_payload(model)
    labels = [label["id"] for label in json.loads(payload.meta)["labels"]]
    options = Options(text_column, id_column, threshold, level)
    shared = _share(payload, client)
    if isinstance(data, dd.DataFrame):
        for name in (text_column, id_column):
            if name and name not in data.columns:
                raise InputError(name, f"no such column; columns are {list(data.columns)}")
        sample = next(_frame_documents(data._meta_nonempty.head(1), options), None)
        meta = _meta_frame(labels, sample.extra if sample else {}, level)
        return data.map_partitions(_tag_pandas, shared, options, meta, meta=meta, enforce_metadata=False)
    partitions, errors = plan_partitions([data] if isinstance(data, (str, Path)) else list(data), files_per_partition)
    if errors:
        raise errors[0]
    if not partitions:
        raise InputError(str(data), "no input files")
    sample = next(_file_documents(partitions[0], options, []), None)
    meta = _meta_frame(labels, sample.extra if sample else {}, level)
    return dd.from_map(_tag_files_frame, partitions, args=(shared, options, meta), meta=meta, enforce_metadata=False)


# --- partitioned output, written by the workers ---------------------------------------------------


@dataclass
class PartitionResult:
    """What became of one partition: `written`, `skipped` (its file existed) or `failed`."""

    number: int
    name: str
    files: list[str]
    status: str
    rows: int = 0
    documents: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class JobReport:
    """The outcome of `tag_files`: every partition, input errors, and part files of other jobs."""

    output: str
    partitions: list[PartitionResult] = field(default_factory=list)
    input_errors: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    #: False when `output` was left alone because every input failed and nothing was tagged.
    written: bool = True
    #: Files under the input directories whose suffix is not read.
    left_out: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many partitions ended with `status`."""
        return sum(p.status == status for p in self.partitions)

    @property
    def errors(self) -> list[str]:
        """Every error message, inputs first, then partitions in order."""
        return [*self.input_errors, *(e for p in self.partitions for e in p.errors)]

    def summary(self) -> str:
        """One line: partitions written, skipped and failed, and documents tagged."""
        documents = sum(p.documents for p in self.partitions)
        return (
            f"{self.count('written')} partition(s) written, {self.count('skipped')} already there, "
            f"{self.count('failed')} failed; {documents} document(s) tagged into {self.output}"
            + ("" if self.written else " (no file written: nothing was tagged)")
        )


def job_key(partition: Partition, options: Options, sha256: str, suffix: str) -> str:
    """A short hash of what a partition's output depends on: its files, the options and the model.

    >>> len(job_key(Partition(0, (("a.txt", "/a.txt"),)), Options(), "0" * 64, ".parquet"))
    10
    """
    spec = {
        "files": [absolute for _, absolute in partition.files],
        "options": [options.text_column, options.id_column, options.threshold, options.level],
        "model": sha256,
        "format": suffix,
    }
    return hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]


def part_name(number: int, key: str, suffix: str) -> str:
    """The output file name of a partition.

    >>> part_name(3, "0123456789", ".parquet")
    'part-000003-0123456789.parquet'
    """
    return f"part-{number:06d}-{key}{suffix}"


def empty_marker(directory: str | Path, name: str) -> Path:
    """The hidden file that stands for a Parquet partition with no rows (readers skip dot files).

    >>> str(empty_marker("out", "part-000001-ab.parquet"))
    'out/.part-000001-ab.parquet.empty'
    """
    return Path(directory) / f".{name}.empty"


def _layout(output: str) -> tuple[Path, str]:
    """The directory that receives the partition files and their suffix, for an `-o` value."""
    target = Path(output)
    if target.suffix.lower() in JSONL_SUFFIXES:
        if target.is_dir():
            raise InputError(output, "is a directory; a .jsonl output must be a file")
        return Path(f"{output}.parts"), ".jsonl"
    if target.suffix.lower() in (".csv",):
        raise InputError(output, "with --dask the output is a Parquet dataset (a directory) or a .jsonl file")
    if target.exists() and not target.is_dir():
        raise InputError(output, "exists and is not a directory; a Parquet dataset is a directory of part files")
    return target, ".parquet"


def _tag_to_file(partition: Partition, target: str, payload: ModelPayload, options: Options) -> PartitionResult:
    """On a worker: tag one partition and write its file atomically; any failure is returned, not raised."""
    start = time.perf_counter()
    name = Path(target).name
    result = PartitionResult(partition.number, name, [given for given, _ in partition.files], "failed")
    problems: list[str] = []
    try:
        predictor = worker_predictor(payload, options.threshold)
        documents = _file_documents(partition, options, problems)
        records = _records(_counted(documents, result), predictor, options.level, problems)
        first = next(records, None)
        if first is None and target.endswith(".parquet"):  # no rows: a marker, not a schema-less Parquet file
            empty_marker(Path(target).parent, name).write_bytes(b"")
        else:
            writer = RecordWriter(target)  # writes to a temporary name, renamed on close(ok=True)
            ok = False
            try:
                for record in chain([first] if first is not None else [], records):
                    writer.write(record)
                    result.rows += 1
                ok = True
            finally:
                writer.close(ok=ok)
        result.status = "written"
    except MeasuresError as exc:
        problems.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - isolate the partition: the job goes on, reporting its file
        problems.append(f"{partition.first}: {type(exc).__name__}: {exc}")
    result.errors = problems
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _counted(documents: Iterable[Document], result: PartitionResult) -> Iterator[Document]:
    """The documents, counted into `result` as they are read."""
    for item in documents:
        result.documents += 1
        yield item


def _concatenate(parts: list[Path], output: str) -> None:
    """Join JSON Lines part files in order into `output`, atomically."""
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def tag_files(
    paths: Iterable[str],
    output: str,
    client: Client,
    model: str | Path | None = None,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    threshold: float | None = None,
    level: str = "sentence",
    files_per_partition: int = TEXT_FILES_PER_PARTITION,
    on_error: Callable[[str], None] | None = None,
) -> JobReport:
    """Tag files on the workers of `client`, each partition written to its own file by a worker.

    `output` is a directory that becomes a Parquet dataset (one file per partition), or a `.jsonl`
    file (assembled from part files kept in `<output>.parts/` until every partition succeeded).
    Partitions whose file exists are skipped, so a re-run does only what is missing. A partition that
    fails is reported with its file name and the others go on; `on_error` hears each error as it
    happens. Workers must see the inputs and the output at the same paths (a shared file system).
    """
    require_dask()
    from distributed import as_completed

    _check_level(level)
    directory, suffix = _layout(output)
    payload = read_payload(model)
    options = Options(text_column, id_column, threshold, level)
    left_out: list[str] = []
    partitions, errors = plan_partitions(paths, files_per_partition, left_out)
    report = JobReport(output, input_errors=[str(e) for e in errors], left_out=left_out)
    for message in report.input_errors:
        if on_error:
            on_error(message)
    directory.mkdir(parents=True, exist_ok=True)
    names = {p.number: part_name(p.number, job_key(p, options, payload.sha256, suffix), suffix) for p in partitions}
    results: dict[int, PartitionResult] = {}
    todo: list[Partition] = []
    for partition in partitions:
        name = names[partition.number]
        if (directory / name).exists() or empty_marker(directory, name).exists():
            files = [given for given, _ in partition.files]
            results[partition.number] = PartitionResult(partition.number, name, files, "skipped")
        else:
            todo.append(partition)
    if todo:
        shared = _share(payload, client)
        futures = client.map(
            _tag_to_file,
            todo,
            [str(directory.resolve() / names[p.number]) for p in todo],
            payload=shared,
            options=options,
            pure=False,
        )
        by_future = dict(zip(futures, todo))
        for future in as_completed(futures):
            partition = by_future[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the task died (e.g. its worker was lost): report, go on
                files = [given for given, _ in partition.files]
                message = f"{partition.first}: {type(exc).__name__}: {exc}"
                result = PartitionResult(partition.number, names[partition.number], files, "failed", errors=[message])
            results[partition.number] = result
            for message in result.errors:
                if on_error:
                    on_error(message)
    report.partitions = [results[p.number] for p in partitions]
    if suffix == ".jsonl":
        parts = [directory / names[p.number] for p in partitions if (directory / names[p.number]).exists()]
        # As in a local run, a job in which every input failed leaves no empty file (nor replaces an older one).
        report.written = not report.errors or any(part.stat().st_size for part in parts)
        if report.written:
            _concatenate(parts, output)
        if report.count("failed") == 0:
            shutil.rmtree(directory)
    else:
        known = set(names.values())
        report.stale = sorted(str(path) for path in directory.glob("part-*.parquet") if path.name not in known)
    return report


@contextmanager
def connect(address: str) -> Iterator[Client]:
    """A client of the scheduler at `address`, or of a new LocalCluster sized to this machine for `local`."""
    require_dask()
    from distributed import Client, LocalCluster

    if address == "local":
        try:
            cluster = LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        except Exception as exc:
            raise ClusterError(f"cannot start a local Dask cluster ({type(exc).__name__}: {exc})") from exc
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"{address}: cannot reach the Dask scheduler ({exc})") from exc
    try:
        yield client
    finally:
        client.close()


def run_on_dask(
    paths: Iterable[str],
    output: str | None,
    address: str,
    model: str | Path | None = None,
    **options: Any,
) -> JobReport:
    """`measures tag --dask`: connect to `address` (or start a local cluster) and run `tag_files`."""
    require_dask()
    if output is None:
        raise InputError("-o", "--dask writes files: give -o DIR (a Parquet dataset) or -o FILE.jsonl")
    _layout(output)
    read_payload(model)
    with connect(address) as client:
        return tag_files(paths, output, client, model, **options)
