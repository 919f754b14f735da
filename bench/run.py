"""Benchmark policy-measures against the alternatives, side by side, in one run on one machine.

From the repository root:

    pip install '.[bench]' && python bench/run.py

It measures, on the same text: throughput of jieba's default segmentation alone, of the full
`Predictor.tag_many` path, of `measures tag DIR` end to end and with `--jobs 2`; the cold start of
`measures tag one-article.txt` next to `python -c "import jieba; jieba.initialize()"`; peak RSS
while the CLI tags a corpus of at least 200 MB; training time and model size; and dev-set F1 of the
bundled model, a keyword lexicon (bench/lexicon.py) and fastText trained on the same labels and
tokens. The results replace the section between the bench markers of docs/benchmarks.md; nothing
in that section is typed by hand. `--quick` is a smoke test on small corpora that prints the
section instead of writing it (unless `--output` is given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEV = REPO.parent / "shared" / "eval" / "dev.csv"
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"
DOC_COMMAND = "pip install '.[bench]' && python bench/run.py"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
MB = 1_000_000

#: Sizes of the full run and of `--quick`.
FULL = {"throughput_mb": 12.0, "rss_mb": 200.0, "repeats": 2, "cold_runs": 5, "ft_folds": 5, "train_folds": None}
QUICK = {"throughput_mb": 0.4, "rss_mb": 4.0, "repeats": 1, "cold_runs": 3, "ft_folds": 3, "train_folds": 2}
#: fastText hyper-parameters tried, chosen by grouped cross-validation on the training labels only.
FT_GRID = [
    {"lr": lr, "epoch": epoch, "wordNgrams": ngrams} for lr in (0.1, 0.5) for epoch in (25, 50) for ngrams in (1, 2)
]
FT_QUICK_GRID = [{"lr": 0.5, "epoch": 25, "wordNgrams": 2}]
#: fastText's DenseMatrix::uniform initialises only thread/10 of the input matrix; the numpy-2 builds
#: allocate it uninitialised, so with fewer than ten threads training meets garbage and often stops
#: with "Encountered NaN". Ten threads initialise all of it (training is a few seconds either way).
FT_THREADS = 10
#: Targets of the issue.
MIN_TAG_VS_JIEBA = 1.0
MIN_JOBS2_SPEEDUP = 1.7
MAX_COLD_RATIO = 1.0
MAX_RSS_MB = 300.0
MIN_RSS_CORPUS_MB = 200.0
MIN_MARGIN_LEXICON = 0.05
#: Paired bootstrap resamples of the dev sentences behind the interval of each dev-set margin.
BOOTSTRAP_ROUNDS = 2000
MAX_TRAIN_SECONDS = 60.0
#: Other processes below this many cores count as a quiet machine.
QUIET_CORES = 0.15

_started = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr, with the time since the start."""
    print(f"[{time.perf_counter() - _started:7.1f} s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the package under test


def import_package() -> Path:
    """Import `classifier` (the installed package, else this checkout) and return its directory."""
    try:
        import classifier
    except ImportError:
        sys.path.insert(0, str(REPO))
        import classifier
    return Path(classifier.__file__).resolve().parent


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not any(part in skip for part in p.parts)
    }


def stale_files(package: Path) -> list[str]:
    """Files in which the imported package (and its bundled model) differ from this checkout."""
    checkout = (REPO / "classifier").resolve()
    if package == checkout or not checkout.is_dir():
        return []
    mine, theirs = _files(checkout), _files(package, skip=("bundled_model",))
    differ = sorted(
        name
        for name in set(mine) | set(theirs)
        if name not in mine or name not in theirs or _digest(mine[name]) != _digest(theirs[name])
    )
    bundled, model = package / "bundled_model", REPO / "models" / "default"
    if bundled.is_dir() and model.is_dir():
        a, b = _files(model), _files(bundled)
        differ += sorted(
            f"bundled_model/{n}" for n in set(a) | set(b) if n not in a or n not in b or _digest(a[n]) != _digest(b[n])
        )
    return differ


def measures_command(package: Path) -> tuple[list[str], dict[str, str]]:
    """How to run the CLI: the console script installed beside this Python, else `python -m classifier`."""
    env = dict(os.environ)
    script = Path(sys.executable).parent / "measures"
    if script.is_file() and package != (REPO / "classifier").resolve():
        return [str(script)], env
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package.parent), env.get("PYTHONPATH", "")]))
    return [sys.executable, "-m", "classifier"], env


# --------------------------------------------------------------------------- corpora


def seed_sentences() -> list[list[str]]:
    """The sentences of each seed article, as the tool normalises and splits them."""
    from classifier.segment import split_sentences
    from classifier.textnorm import normalise

    seeds = sorted((REPO / "seeds").glob("*.txt"))
    if not seeds:
        raise SystemExit(f"no seed articles in {REPO / 'seeds'}")
    return [split_sentences(normalise(p.read_text(encoding="utf-8"))) for p in seeds]


class Numbering:
    """A counter shared by all corpora of a run, so no sentence occurs twice anywhere."""

    def __init__(self) -> None:
        self.next = 1

    def article(self, sentences: list[str]) -> str:
        """One copy of a seed article, a distinct number spliced into the front of each sentence."""
        lines = []
        for sentence in sentences:
            lines.append(f"（{self.next}）{sentence}")
            self.next += 1
        return "\n".join(lines) + "\n"


def articles(seeds: list[list[str]], numbering: Numbering, megabytes: float) -> Iterator[str]:
    """Copies of the seed articles in turn until they add up to at least `megabytes` of UTF-8."""
    size, k = 0, 0
    while size < megabytes * MB:
        text = numbering.article(seeds[k % len(seeds)])
        size += len(text.encode("utf-8"))
        k += 1
        yield text


def write_corpus(texts: Iterator[str] | list[str], directory: Path) -> tuple[int, int]:
    """Write each article to its own file; returns (files, bytes)."""
    directory.mkdir(parents=True)
    files = size = 0
    for k, text in enumerate(texts):
        data = text.encode("utf-8")
        (directory / f"{k:06d}.txt").write_bytes(data)
        files += 1
        size += len(data)
    return files, size


# --------------------------------------------------------------------------- subprocesses


#: A small process that starts one command and reports its wall time, exit code and peak RSS. Linux
#: counts the memory of the process that starts a program into that program's peak RSS (the
#: high-water mark survives exec), so a command started straight from this large process would be
#: charged with the benchmark's own memory.
_SPAWN = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as f:
    json.dump({"seconds": seconds, "code": code, "max_rss": usage.ru_maxrss * 1024}, f)
"""


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run a command; its wall time, exit code, peak RSS (the kernel's high-water mark) and stderr tail."""
    report, err_path = cwd / "spawn.json", cwd / "stderr.txt"
    report.unlink(missing_ok=True)
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        wrapper = subprocess.run(
            [sys.executable, "-S", "-c", _SPAWN, str(report), *cmd],
            stdout=subprocess.DEVNULL,
            stderr=err,
            cwd=cwd,
            env=env,
            check=False,
        )
        outer = time.perf_counter() - start
    tail = err_path.read_text(encoding="utf-8", errors="replace")[-1500:]
    err_path.unlink()
    if not report.exists():
        return {"seconds": outer, "code": wrapper.returncode or 1, "max_rss": 0, "stderr": tail}
    result = json.loads(report.read_text(encoding="utf-8"))
    report.unlink()
    return {**result, "stderr": tail}


def check(result: dict[str, Any], what: str) -> dict[str, Any]:
    """The result, or an error naming the command and its stderr when it failed."""
    if result["code"] != 0:
        raise RuntimeError(f"{what} exited with {result['code']}: {result['stderr'].strip()[-500:]}")
    return result


def count_lines(path: Path) -> int:
    """Lines of a file, read in blocks."""
    n = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            n += block.count(b"\n")
    return n


def dir_size(path: Path) -> int:
    """Bytes of all files under a directory."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Quiet:
    """Waits for other processes to leave the CPUs alone before a timed step, and measures what they use during it.

    The machine may be shared: another process busy on one of the two cores halves `--jobs 2`.
    Before each timed step this waits (within a budget for the whole run) until other processes use
    less than `QUIET_CORES` of CPU, and records how many cores they used on average during the step.
    """

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.waited = 0.0
        self.steps: list[tuple[str, float]] = []
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _busy(self) -> float:
        """CPU seconds all processes have used (all cores), or 0 where /proc/stat is missing."""
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]
        except OSError:
            return 0.0
        user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields)
        return (user + nice + system + irq + softirq) / self.hz

    @staticmethod
    def _own() -> float:
        """CPU seconds used by this process and its finished children."""
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def others(self, seconds: float) -> float:
        """Cores used by other processes over the next `seconds`."""
        busy, own, start = self._busy(), self._own(), time.perf_counter()
        time.sleep(seconds)
        wall = time.perf_counter() - start
        return max(0.0, (self._busy() - busy) - (self._own() - own)) / wall

    def wait(self) -> None:
        """Return once other processes have been quiet for two half-second windows, or the budget is spent."""
        start, quiet, warned = time.perf_counter(), 0, False
        while quiet < 2 and self.budget > 0:
            load = self.others(0.5)
            quiet = quiet + 1 if load < QUIET_CORES else 0
            if quiet == 0 and not warned:
                log(f"waiting for other processes to go quiet (they use {load:.1f} cores)")
                warned = True
            self.budget -= 0.5
        self.waited += time.perf_counter() - start

    def measure(self, name: str, step: Callable[[], Any], again: int = 0) -> tuple[Any, float]:
        """Run a timed step on a quiet machine; its result and the cores other processes used meanwhile.

        A step that repeats identical work (`again` > 0) is run up to `again` more times while other
        processes were busy during it and waiting time is left; the quietest run counts.
        """
        tries: list[tuple[float, int, Any]] = []
        while True:
            self.wait()
            busy, own, start = self._busy(), self._own(), time.perf_counter()
            result = step()
            wall = time.perf_counter() - start
            load = max(0.0, (self._busy() - busy) - (self._own() - own)) / wall
            tries.append((load, len(tries), result))
            if load >= QUIET_CORES:
                log(f"note: other processes used {load:.2f} cores during {name}")
            if load < QUIET_CORES or len(tries) > again or self.budget <= 0:
                break
            log(f"{name}: measuring again")
        load, _, result = min(tries, key=lambda t: (t[0], t[1]))
        self.steps.append((name, load))
        return result, load


# --------------------------------------------------------------------------- measurements


def throughput(
    corpora: list[list[str]], warm: list[str], cli: list[str], env: dict[str, str], work: Path, quiet: Quiet
) -> dict[str, Any]:
    """Throughput of jieba alone, Predictor.tag_many, and the CLI with one and two processes.

    Each pass runs all four on the same articles; every pass has its own articles (other numbers in
    the same sentences), so a cache kept between passes finds nothing to reuse. The best pass counts.
    """
    import jieba

    from classifier.predictor import Predictor

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    jieba.lcut(warm[0])
    predictor = Predictor.load()
    list(predictor.tag_many(warm))  # warm-up: lazy loading of the segmenter and converters

    def timed(step: Callable[[], Any]) -> Callable[[], tuple[float, Any]]:
        def go() -> tuple[float, Any]:
            start = time.perf_counter()
            value = step()
            return time.perf_counter() - start, value

        return go

    runs: dict[str, list[dict[str, Any]]] = {"jieba": [], "tag": [], "cli1": [], "cli2": []}
    seen: set[str] = set()
    total = 0
    for r, texts in enumerate(corpora):
        mb = sum(len(t.encode("utf-8")) for t in texts) / MB
        where = f"{mb:.1f} MB (pass {r + 1}/{len(corpora)})"

        def segment_all(texts: list[str] = texts) -> None:
            for text in texts:
                jieba.lcut(text)

        log(f"throughput: jieba.lcut over {where}")
        (seconds, _), load = quiet.measure("jieba", timed(segment_all))
        runs["jieba"].append({"seconds": seconds, "mb": mb, "load": load})
        log(f"throughput: Predictor.tag_many over {where}")
        (seconds, tagged), load = quiet.measure(
            "Predictor.tag_many", timed(lambda texts=texts: list(predictor.tag_many(texts)))
        )
        sentences = [s.text for article in tagged for s in article.sentences]
        del tagged
        total += len(sentences)
        seen.update(sentences)
        runs["tag"].append({"seconds": seconds, "mb": mb, "load": load})
        for entry in (runs["jieba"][-1], runs["tag"][-1]):
            entry["sentences"] = len(sentences)

        corpus = work / f"throughput-{r}"
        write_corpus(texts, corpus)
        for jobs in (1, 2):
            log(f"throughput: measures tag DIR --jobs {jobs} over {where}")
            target = work / f"cli-j{jobs}.jsonl"
            cmd = [*cli, "tag", str(corpus), "-o", str(target), "--jobs", str(jobs)]
            result, load = quiet.measure(f"measures tag --jobs {jobs}", lambda cmd=cmd: run(cmd, env, work))
            check(result, "measures tag")
            rows = count_lines(target)
            target.unlink()
            if rows != len(sentences):
                log(f"note: measures tag wrote {rows} rows for {len(sentences)} sentences of Predictor.tag_many")
            runs[f"cli{jobs}"].append(
                {"seconds": result["seconds"], "mb": mb, "load": load, "rows": rows, "sentences": len(sentences)}
            )
        shutil.rmtree(corpus)

    out: dict[str, Any] = {
        "passes": len(corpora),
        "articles": len(corpora[0]),
        "mb": runs["tag"][0]["mb"],
        "sentences": runs["tag"][0]["sentences"],
        "total": total,
        "unique": len(seen),
    }
    for name, entries in runs.items():
        out[name] = max(entries, key=lambda e: e["mb"] / e["seconds"])
        out[name]["all"] = [e["mb"] / e["seconds"] for e in entries]
    return out


def cold_start(cli: list[str], env: dict[str, str], work: Path, runs: int, quiet: Quiet) -> dict[str, Any]:
    """Median wall time of `measures tag one-article.txt` and of the jieba one-liner, interleaved."""
    seed = sorted((REPO / "seeds").glob("*.txt"))[0]
    shutil.copyfile(seed, work / "one-article.txt")
    commands = {
        "measures": [*cli, "tag", "one-article.txt"],
        "jieba": [sys.executable, "-c", "import jieba; jieba.initialize()"],
    }
    for name, cmd in commands.items():  # warm-up: file cache, jieba's dictionary cache
        check(run(cmd, env, work), name)

    def runs_interleaved() -> dict[str, list[float]]:
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(runs):
            log(f"cold start: run {i + 1}/{runs}")
            for name, cmd in commands.items():
                times[name].append(check(run(cmd, env, work), name)["seconds"])
        return times

    times, load = quiet.measure("cold start", runs_interleaved, again=2)
    return {
        "article_bytes": seed.stat().st_size,
        "article": seed.name,
        "load": load,
        **{name: {"median": statistics.median(t), "all": t} for name, t in times.items()},
    }


def training(cli: list[str], env: dict[str, str], work: Path, folds: int | None, quiet: Quiet) -> dict[str, Any]:
    """Wall time of `measures train` on the full labels into a fresh directory, and the model's size."""
    model = work / "model"
    cmd = [*cli, "train", "--data", str(REPO / "labels/sentences.csv"), "--schema", str(REPO / "labels/schema.csv")]
    cmd += ["-o", str(model)] + (["--folds", str(folds)] if folds else [])
    log("training: measures train" + (f" --folds {folds}" if folds else ""))

    def train_once() -> dict[str, Any]:
        shutil.rmtree(model, ignore_errors=True)
        return run(cmd, env, work)

    result, load = quiet.measure("measures train", train_once, again=1)
    check(result, "measures train")
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    return {
        "seconds": result["seconds"],
        "max_rss": result["max_rss"],
        "load": load,
        "inner_seconds": meta.get("training_seconds"),
        "rows": meta.get("training_data", {}).get("rows"),
        "folds": folds or 5,
        "size": dir_size(model),
        "dir": model,
    }


def peak_rss(
    seeds: list[list[str]],
    numbering: Numbering,
    megabytes: float,
    cli: list[str],
    env: dict[str, str],
    work: Path,
    quiet: Quiet,
) -> dict[str, Any]:
    """Peak RSS of `measures tag DIR -o out.jsonl` (one process) on a corpus of many article files."""
    corpus = work / "large"
    log(f"memory: writing a corpus of at least {megabytes:.0f} MB")
    files, size = write_corpus(articles(seeds, numbering, megabytes), corpus)
    log(f"memory: measures tag on {files} files, {size / MB:.1f} MB")
    target = work / "large.jsonl"
    floor = run(["true"], env, work)["max_rss"]
    cmd = [*cli, "tag", str(corpus), "-o", str(target)]
    result, load = quiet.measure("measures tag (large corpus)", lambda: run(cmd, env, work))
    check(result, "measures tag (large corpus)")
    result.update(
        load=load, floor=floor, files=files, bytes=size, rows=count_lines(target), output_bytes=target.stat().st_size
    )
    target.unlink()
    shutil.rmtree(corpus)
    return result


# --------------------------------------------------------------------------- accuracy


def lexicon_scores(dev: list[Any], label_ids: list[str]) -> dict[str, Any]:
    """Dev-set scores of the keyword lexicon, matched on the cleaned text the model sees."""
    from lexicon import LEXICON, match

    from classifier.textnorm import clean_text
    from classifier.training import indicator, label_matrix, scores

    missing = sorted(set(label_ids) - set(LEXICON))
    if missing:
        raise RuntimeError(f"the lexicon has no terms for {', '.join(missing)}")
    predicted = label_matrix([match(clean_text(r.text)) for r in dev], label_ids)
    result = scores(indicator(dev, label_ids), predicted, label_ids)
    result["terms"] = {label: len(LEXICON[label]) for label in label_ids}
    result["predicted"] = predicted
    return result


def _thresholds(y: Any, proba: Any) -> tuple[Any, str]:
    """Per-label cut-offs chosen as our training chooses them, else 0.5."""
    import numpy as np

    try:
        from classifier.training import best_thresholds
    except ImportError:
        return np.full(y.shape[1], 0.5), "0.5"
    return best_thresholds(y, proba), "tuned out of fold as `measures train` tunes them"


def fasttext_scores(
    train_rows: list[Any], dev: list[Any], label_ids: list[str], work: Path, grid: list[dict[str, Any]], folds: int
) -> dict[str, Any]:
    """Dev-set scores of fastText (one-vs-all) trained on the training labels with our tokens; scores on the dev set.

    Hyper-parameters and per-label thresholds are chosen by grouped cross-validation on the training
    labels alone, as our own training does; the dev set is only scored.
    """
    import fasttext
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from classifier.textnorm import clean_text
    from classifier.tokens import tokenize
    from classifier.training import indicator, scores

    tokens = [" ".join(tokenize(r.text)) for r in train_rows]
    y = indicator(train_rows, label_ids)
    groups = [r.doc for r in train_rows]
    retries = 0

    def fit(index: Any, params: dict[str, Any]) -> Any:
        nonlocal retries
        path = work / "fasttext-train.txt"
        with path.open("w", encoding="utf-8") as handle:
            for i in index:
                names = [f"__label__{label_ids[k]}" for k in np.flatnonzero(y[i])] or ["__label__none"]
                handle.write(" ".join([*names, tokens[i]]) + "\n")
        for seed in range(3):
            try:
                return fasttext.train_supervised(
                    input=str(path), loss="ova", thread=FT_THREADS, seed=seed, verbose=0, minCount=1, **params
                )
            except RuntimeError as exc:
                if "NaN" not in str(exc):
                    raise
                retries += 1
        raise RuntimeError("fastText reported NaN with three seeds")

    def proba(model: Any, lines: list[str]) -> Any:
        out = np.zeros((len(lines), len(label_ids)))
        position = {f"__label__{label}": k for k, label in enumerate(label_ids)}
        labels, probs = model.predict(lines, k=-1, threshold=0.0)
        for i, (names, values) in enumerate(zip(labels, probs)):
            for name, value in zip(names, values):
                if name in position:
                    out[i, position[name]] = min(float(value), 1.0)
        return out

    tried = []
    splits = list(GroupKFold(n_splits=folds).split(tokens, y, groups))
    for params in grid:
        oof = np.zeros(y.shape, dtype=float)
        for train_idx, test_idx in splits:
            oof[test_idx] = proba(fit(train_idx, params), [tokens[i] for i in test_idx])
        cut, how = _thresholds(y, oof)
        macro = scores(y, (oof >= cut).astype(int), label_ids)["macro_f1"]
        tried.append((macro, params, cut, how))
        log(f"accuracy: fastText {params} grouped-CV macro-F1 {macro:.3f}")
    macro, params, cut, how = max(tried, key=lambda t: t[0])
    start = time.perf_counter()
    model = fit(np.arange(len(tokens)), params)
    seconds = time.perf_counter() - start
    model.save_model(str(work / "fasttext.bin"))
    dev_proba = proba(model, [" ".join(tokenize(clean_text(r.text))) for r in dev])
    del model  # wordNgrams > 1 allocates a large hashed n-gram table
    predicted = (dev_proba >= cut).astype(int)
    result = scores(indicator(dev, label_ids), predicted, label_ids)
    result.update(
        predicted=predicted,
        params=params,
        cv_macro_f1=macro,
        thresholds=dict(zip(label_ids, np.round(cut, 2).tolist())),
        threshold_rule=how,
        train_seconds=seconds,
        size=(work / "fasttext.bin").stat().st_size,
        nan_retries=retries,
        folds=folds,
    )
    return result


def margin_interval(y: Any, ours: Any, rival: Any, margin: float, rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, float]:
    """The 95% interval of our macro-F1 minus the rival's, by paired bootstrap over the dev sentences.

    Each round draws the sentences with replacement and scores both systems on the same draw;
    `share` is the fraction of rounds in which our lead is at least `margin`, `ahead` the fraction in which it is
    above zero.
    """
    import numpy as np
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    leads = []
    for _ in range(rounds):
        i = rng.integers(0, len(y), len(y))
        leads.append(
            f1_score(y[i], ours[i], average="macro", zero_division=0)
            - f1_score(y[i], rival[i], average="macro", zero_division=0)
        )
    low, high = np.percentile(leads, [2.5, 97.5])
    lead = np.array(leads)
    return {
        "low": float(low),
        "high": float(high),
        "share": float(np.mean(lead >= margin - 1e-9)),
        "ahead": float(np.mean(lead > 0)),
    }


def accuracy(dev_path: Path, model_dir: Path | None, work: Path, quick: bool) -> dict[str, Any]:
    """Dev-set scores of the bundled model, the retrained model, the lexicon and fastText, and our margins."""
    from classifier.corpus import EVAL_COLUMNS, read_labelled
    from classifier.predictor import Predictor
    from classifier.training import evaluate_file, indicator, label_matrix

    out: dict[str, Any] = {}
    log("accuracy: bundled model on the dev set")
    bundled = Predictor.load()
    label_ids = bundled.labels
    out["labels"] = label_ids
    out["ours"] = evaluate_file(bundled, dev_path)
    if model_dir is not None:
        log("accuracy: retrained model on the dev set")
        out["retrained"] = evaluate_file(Predictor.load(model_dir), dev_path)
    dev = read_labelled(dev_path, required=EVAL_COLUMNS)
    log("accuracy: keyword lexicon on the dev set")
    out["lexicon"] = guarded(lambda: lexicon_scores(dev, label_ids))
    log("accuracy: fastText, trained on labels/sentences.csv")
    train_rows = read_labelled(REPO / "labels/sentences.csv")
    grid, folds = (FT_QUICK_GRID, QUICK["ft_folds"]) if quick else (FT_GRID, FULL["ft_folds"])
    out["fasttext"] = guarded(lambda: fasttext_scores(train_rows, dev, label_ids, work, grid, folds))
    log("accuracy: bootstrap intervals of our margins")
    y = indicator(dev, label_ids)
    ours = label_matrix(bundled.predict([r.text for r in dev]), label_ids)
    for name, margin in (("fasttext", 0.0), ("lexicon", MIN_MARGIN_LEXICON)):
        if "error" not in out[name]:
            out[name]["interval"] = margin_interval(y, ours, out[name]["predicted"], margin)
    return out


def guarded(step: Callable[[], Any]) -> Any:
    """Run a step; on failure return {"error": ...} so the rest of the run still reports."""
    try:
        return step()
    except Exception as exc:  # noqa: BLE001 - any failure of one step is reported in its row
        log(f"ERROR: {type(exc).__name__}: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"}


# --------------------------------------------------------------------------- facts


def version(dist: str) -> str:
    """Installed version of a distribution, or 'not installed'."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def fasttext_dist() -> str:
    """Which distribution provides the `fasttext` module, with its version."""
    from importlib import metadata

    names = metadata.packages_distributions().get("fasttext", [])
    return ", ".join(f"{n} {version(n)}" for n in names) or "not installed"


def git_state() -> str:
    """The checkout's commit, and which tracked files differ from it (the generated results aside)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    changed = [line[3:] for line in status.splitlines() if line[3:] != "docs/benchmarks.md"]
    if not changed:
        return head
    return f"{head} with uncommitted changes to {', '.join(changed[:6])}" + (" and more" if len(changed) > 6 else "")


def machine(package: Path, cli: list[str]) -> dict[str, str]:
    """Facts about the machine and the software measured."""
    from classifier.tokens import segmenter_name

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        memory = f"{int(mem.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ["policy-measures", "numpy", "scikit-learn", "scipy", "jieba", "rjieba", "joblib", "opencc", "typer"]
    return {
        "CPUs": f"{os.cpu_count()} (usable by this process: {affinity}); {cpu}",
        "memory": memory,
        "OS": platform.platform(),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "libraries": ", ".join(f"{n} {version(n)}" for n in libs) + f", fastText: {fasttext_dist()}",
        "segmenter used by the package": segmenter_name(),
        "package measured": f"{package} (checkout {git_state()})",
        "CLI run as": " ".join(shlex.quote(c) for c in cli),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "unset"),
    }


# --------------------------------------------------------------------------- report


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**PASS**" if ok else "**FAIL**")


def _f(value: float | None, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def _mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


def _rows(entry: dict[str, Any]) -> str:
    """Rows the CLI wrote, flagged when they differ from the sentences Predictor.tag_many found."""
    if "rows" not in entry:
        return "—"
    same = entry["rows"] == entry["sentences"]
    return f"{entry['rows']:,}" + ("" if same else f" (**≠ {entry['sentences']:,} sentences**)")


def _rate(entry: dict[str, Any]) -> float:
    """MB/s of one throughput measurement."""
    return entry["mb"] / entry["seconds"]


def targets(r: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool | None]]:
    """Rows (#, target, measured, ratio, required, pass) of the issue's targets."""
    rows: list[tuple[str, str, str, str, str, bool | None]] = []
    tp = r.get("throughput", {})
    if "error" not in tp:
        tag, jie, one, two = (_rate(tp[name]) for name in ("tag", "jieba", "cli1", "cli2"))
        rows.append(
            (
                "1",
                "full tagging throughput, one process (`Predictor.tag_many`) vs jieba default segmentation alone",
                f"{tag:.2f} vs {jie:.2f} MB/s",
                f"{tag / jie:.2f}x",
                f"≥ {MIN_TAG_VS_JIEBA:.1f}x",
                tag / jie >= MIN_TAG_VS_JIEBA,
            )
        )
        rows.append(
            (
                "2",
                "`measures tag DIR --jobs 2` vs one process (`--jobs 1`), end to end",
                f"{two:.2f} vs {one:.2f} MB/s",
                f"{two / one:.2f}x",
                f"≥ {MIN_JOBS2_SPEEDUP:.1f}x",
                two / one >= MIN_JOBS2_SPEEDUP,
            )
        )
    else:
        rows += [("1", "tagging throughput vs jieba", tp["error"], "—", "", False)]
        rows += [("2", "`--jobs 2` vs one process", tp["error"], "—", "", False)]
    cs = r.get("cold", {})
    if "error" not in cs:
        m, j = cs["measures"]["median"], cs["jieba"]["median"]
        rows.append(
            (
                "3",
                'cold start: `measures tag one-article.txt` vs `python -c "import jieba; jieba.initialize()"`',
                f"{m:.2f} vs {j:.2f} s",
                f"{m / j:.2f}x",
                f"≤ {MAX_COLD_RATIO:.1f}x",
                m / j <= MAX_COLD_RATIO,
            )
        )
    else:
        rows.append(("3", "cold start", cs["error"], "—", "", False))
    mem = r.get("memory", {})
    if "error" not in mem:
        rss = mem["max_rss"] / MB
        big = mem["bytes"] / MB >= MIN_RSS_CORPUS_MB
        rows.append(
            (
                "4",
                f"peak RSS of `measures tag DIR -o out.jsonl` on ≥ {MIN_RSS_CORPUS_MB:.0f} MB of text",
                f"{rss:.1f} MB on {_mb(mem['bytes'])}" + ("" if big else " (corpus too small for the target)"),
                f"{rss / MAX_RSS_MB:.2f}x of the limit",
                f"≤ {MAX_RSS_MB:.0f} MB",
                rss <= MAX_RSS_MB and big,
            )
        )
    else:
        rows.append(("4", "peak RSS", mem["error"], "—", "", False))
    acc = r.get("accuracy")
    if acc is None:
        rows.append(("5", "dev-set macro-F1", f"skipped: {r['dev_missing']}", "—", "", None))
    elif "error" in acc:
        rows.append(("5", "dev-set macro-F1", acc["error"], "—", "", False))
    else:
        ours = acc["ours"]["macro_f1"]
        # (row, name, result, required margin, float tolerance on the comparison)
        rivals = (
            ("5a", "fastText", acc["fasttext"], 0.0, 0.0),
            ("5b", "keyword lexicon", acc["lexicon"], MIN_MARGIN_LEXICON, 1e-9),
        )
        for row, name, rival, margin, tolerance in rivals:
            if "error" in rival:
                short = "lexicon" if row == "5b" else name
                rows.append((row, f"dev macro-F1, ours vs {short}", f"{short}: {rival['error']}", "—", "", False))
                continue
            ci = rival["interval"]
            rows.append(
                (
                    row,
                    f"dev-set macro-F1: ours vs {name}",
                    f"{ours:.3f} vs {rival['macro_f1']:.3f}",
                    f"{ours - rival['macro_f1']:+.3f} (95% interval {ci['low']:+.3f} to {ci['high']:+.3f})",
                    f"≥ +{margin:.3f}",
                    ours >= rival["macro_f1"] + margin - tolerance,
                )
            )
    tr = r.get("training", {})
    if "error" not in tr:
        rows.append(
            (
                "6",
                f"training on the full labels (`measures train`, {tr['folds']}-fold CV + final fit), wall time",
                f"{tr['seconds']:.1f} s",
                f"{tr['seconds'] / MAX_TRAIN_SECONDS:.2f}x of the limit",
                f"≤ {MAX_TRAIN_SECONDS:.0f} s",
                tr["seconds"] <= MAX_TRAIN_SECONDS,
            )
        )
    else:
        rows.append(("6", "training time", tr["error"], "—", "", False))
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render(r: dict[str, Any]) -> str:
    """The markdown section of docs/benchmarks.md."""
    out = ["## Speed and accuracy against the alternatives", ""]
    out.append(
        f"Generated by `bench/run.py` on {r['date']}; do not edit by hand. Every figure below comes from "
        f"one run on one machine, which took {r['total_seconds'] / 60:.1f} min. To regenerate, from the "
        f"repository root: `{DOC_COMMAND}`"
    )
    out += [
        "",
        f"This run: `{r['command']}`"
        + (" (**quick smoke test: corpora too small for the targets**)" if r["quick"] else ""),
    ]
    if r["stale"]:
        out += ["", f"**Warning: the package measured differs from this checkout in {', '.join(r['stale'][:8])}.**"]
    rows = targets(r)
    passed = sum(ok is True for *_, ok in rows)
    judged = sum(ok is not None for *_, ok in rows)
    out += ["", "### Targets", "", f"{passed} of {judged} pass.", ""]
    out += _table(
        ["#", "target", "measured", "ratio", "required", "result"], [[*row[:5], _verdict(row[5])] for row in rows]
    )
    out += ["", load_note(r)]
    acc = r.get("accuracy") or {}
    lex = acc.get("lexicon", {})
    if "interval" in lex:
        supports = [v["support"] for v in acc["ours"]["per_label"].values()]
        out += [
            "",
            f"The intervals of rows 5a and 5b come from {BOOTSTRAP_ROUNDS:,} paired bootstrap resamples of the "
            f"{acc['ours']['rows']} dev sentences (both systems scored on each resample). With "
            f"{min(supports)} to {max(supports)} positives per label, a margin on this dev set is known to about "
            f"±{(lex['interval']['high'] - lex['interval']['low']) / 2:.3f}: our lead over the lexicon was "
            f"+{MIN_MARGIN_LEXICON:.2f} or more in "
            f"{lex['interval']['share']:.0%} of the resamples, and above zero in {lex['interval']['ahead']:.0%}.",
        ]

    tp = r.get("throughput", {})
    out += ["", "### Throughput", ""]
    if "error" in tp:
        out.append(f"Failed: {tp['error']}")
    else:
        c = r["corpus"]
        unique = "all distinct" if tp["unique"] == tp["total"] else f"only {tp['unique']:,} distinct"
        out.append(
            f"The four rows of a pass tag the same text: {tp['articles']:,} articles, {tp['mb']:.2f} MB of UTF-8 "
            f"(later passes a little more: longer numbers), {tp['sentences']:,} sentences according to "
            "`Predictor.tag_many`. The articles are copies of the "
            f"{c['seeds']} seed articles, each "
            "normalised and split into sentences by the package, with a distinct number `（n）` put in front of "
            "every sentence, one sentence a line. Each of the "
            f"{tp['passes']} pass(es) has its own copies, so that no sentence occurs twice anywhere and no cache "
            f"can skip work ({tp['total']:,} sentences tagged in all, {unique}). Each row is the fastest of its "
            f"{tp['passes']} pass(es) (all passes, MB/s, in the last column but one): in-process rows after a "
            "warm-up on other copies; CLI rows are wall time from start to exit (Python start-up and model load "
            "included), one file per article, JSON Lines written with `-o`. The last column is the CPU that "
            "other processes on the machine used during that run, in cores."
        )
        out.append("")
        jieba_rate = _rate(tp["jieba"])
        rows_t = [
            ("jieba default segmentation alone (`jieba.lcut`, HMM on)", tp["jieba"]),
            ("full `Predictor.tag_many` path (normalise, split, segment, predict)", tp["tag"]),
            ("`measures tag DIR -o out.jsonl` (one process)", tp["cli1"]),
            ("`measures tag DIR -o out.jsonl --jobs 2`", tp["cli2"]),
        ]
        out += _table(
            [
                "what",
                "seconds",
                "MB/s",
                "sentences/s",
                "vs jieba",
                "rows written",
                "all passes MB/s",
                "other processes",
            ],
            [
                [
                    name,
                    f"{m['seconds']:.2f}",
                    f"{_rate(m):.2f}",
                    f"{m['sentences'] / m['seconds']:,.0f}",
                    f"{_rate(m) / jieba_rate:.2f}x",
                    _rows(m),
                    ", ".join(f"{x:.2f}" for x in m["all"]),
                    f"{m['load']:.2f}",
                ]
                for name, m in rows_t
            ],
        )

    out += ["", "### Accuracy on the dev set", ""]
    acc = r.get("accuracy")
    if acc is None:
        out.append(f"Skipped: {r['dev_missing']}.")
    elif "error" in acc:
        out.append(f"Failed: {acc['error']}")
    else:
        out += accuracy_section(acc, r)

    cs = r.get("cold", {})
    out += ["", "### Cold start", ""]
    if "error" in cs:
        out.append(f"Failed: {cs['error']}")
    else:
        out.append(
            f"Wall time from start to exit, median of {len(cs['measures']['all'])} runs after one untimed run of each "
            f"(runs interleaved); the article is the seed `{cs['article']}` ({cs['article_bytes']:,} bytes), "
            f"output discarded. Other processes used {cs['load']:.2f} cores meanwhile."
        )
        out.append("")
        out += _table(
            ["command", "median s", "all runs s"],
            [
                [
                    "`measures tag one-article.txt`",
                    f"{cs['measures']['median']:.3f}",
                    ", ".join(f"{t:.3f}" for t in cs["measures"]["all"]),
                ],
                [
                    '`python -c "import jieba; jieba.initialize()"`',
                    f"{cs['jieba']['median']:.3f}",
                    ", ".join(f"{t:.3f}" for t in cs["jieba"]["all"]),
                ],
            ],
        )

    out += ["", "### Memory, training and model size", ""]
    facts: list[list[str]] = []
    mem = r.get("memory", {})
    if "error" in mem:
        facts.append(["peak RSS while tagging the large corpus", f"failed: {mem['error']}"])
    else:
        facts.append(
            [
                "peak RSS of `measures tag DIR -o out.jsonl` (one process, kernel high-water mark)",
                f"{mem['max_rss'] / MB:.1f} MB (an upper bound: it can include up to {mem['floor'] / MB:.0f} MB "
                "of the small launcher that starts it)",
            ]
        )
        facts.append(
            [
                "large corpus tagged",
                f"{_mb(mem['bytes'])} in {mem['files']:,} article files (built like the throughput corpus), "
                f"{mem['rows']:,} sentence rows, {_mb(mem['output_bytes'])} of JSON Lines",
            ]
        )
        facts.append(
            [
                "its wall time and throughput",
                f"{mem['seconds']:.1f} s, {mem['bytes'] / MB / mem['seconds']:.2f} MB/s, "
                f"{mem['rows'] / mem['seconds']:,.0f} sentences/s (other processes: {mem['load']:.2f} cores)",
            ]
        )
    tr = r.get("training", {})
    if "error" in tr:
        facts.append(["training", f"failed: {tr['error']}"])
    else:
        facts.append(
            [
                f"training: `measures train` on {tr['rows']:,} labelled sentences into a new directory",
                f"{tr['seconds']:.1f} s wall ({tr['inner_seconds']} s inside `train`, {tr['folds']}-fold CV "
                f"included), peak RSS {tr['max_rss'] / MB:.0f} MB (other processes: {tr['load']:.2f} cores)",
            ]
        )
        facts.append(["size of the model trained in this run", f"{tr['size'] / MB:.2f} MB"])
    facts.append(["size of the bundled model", f"{r['bundled_size'] / MB:.2f} MB"])
    ft = (r.get("accuracy") or {}).get("fasttext", {})
    if ft and "error" not in ft:
        facts.append(
            [
                "fastText, for comparison: final fit / model file",
                f"{ft['train_seconds']:.1f} s / {ft['size'] / MB:.2f} MB",
            ]
        )
    out += _table(["figure", "value"], facts)

    out += ["", "### Machine and software", ""]
    out += _table(["", ""], [[k, v] for k, v in r["machine"].items()])
    out.append("")
    out.append("MB means 10^6 bytes throughout, for text and for memory.")
    return "\n".join(out) + "\n"


def load_note(r: dict[str, Any]) -> str:
    """A sentence on how busy the machine was during the timed steps whose figures are reported."""
    quiet = r["quiet"]
    text = (
        f"Before each timed step the script waited for other processes to use under {QUIET_CORES} cores "
        f"(it waited {quiet['waited']:.0f} s in all, of at most {quiet['budget']:.0f} s)."
    )
    tp, reported = r.get("throughput", {}), []
    if "error" not in tp:
        reported += [(name, tp[key]["load"]) for key, name in _THROUGHPUT_STEPS.items()]
    for key, name in (("cold", "cold start"), ("training", "training"), ("memory", "the large corpus")):
        if "load" in r.get(key, {}):
            reported.append((name, r[key]["load"]))
    if not reported:
        return text
    name, worst = max(reported, key=lambda step: step[1])
    if worst < QUIET_CORES:
        return text + f" During the measurements reported below they used at most {worst:.2f} cores."
    busy = "; ".join(f"{load:.2f} cores during {n}" for n, load in reported if load >= QUIET_CORES)
    return text + (
        f" **The machine was not quiet for every measurement reported below: other processes used {busy}; "
        "such figures are slower than on an idle machine.**"
    )


_THROUGHPUT_STEPS = {
    "jieba": "jieba",
    "tag": "Predictor.tag_many",
    "cli1": "`measures tag`",
    "cli2": "`measures tag --jobs 2`",
}


#: The per-label scores shown beside F1 in the accuracy section.
PR_FIELDS = ("precision", "recall")


def accuracy_section(acc: dict[str, Any], r: dict[str, Any]) -> list[str]:
    """Per-label and macro F1 of every system on the dev set, with how each was set up."""
    systems = [("ours (bundled model)", acc["ours"])]
    if "retrained" in acc:
        systems.append(("ours (retrained in this run)", acc["retrained"]))
    systems += [("fastText", acc["fasttext"]), ("keyword lexicon", acc["lexicon"])]
    header = ["F1", "support", *(name for name, _ in systems)]

    def cell(result: dict[str, Any], key: str, label: str | None = None, field: str = "f1") -> str:
        if "error" in result:
            return "error"
        return f"{(result['per_label'][label][field] if label else result[key]):.3f}"

    rows = [
        [f"`{label}`", str(acc["ours"]["per_label"][label]["support"]), *(cell(res, "", label) for _, res in systems)]
        for label in acc["labels"]
    ]
    rows.append(["**macro F1**", "", *(f"**{cell(res, 'macro_f1')}**" for _, res in systems)])
    rows.append(["micro F1", "", *(cell(res, "micro_f1") for _, res in systems)])
    out = [
        f"`{r['dev_display']}`: {acc['ours']['rows']} sentences labelled by others, used only to score: "
        "nothing is trained on it and no threshold or parameter is set from it. Its score was watched while "
        "the data and the threshold rule were improved, so it flatters a little; the held-back test set is "
        "the unbiased figure.",
        "",
        *_table(header, rows),
        "",
        "Precision and recall behind the F1 figures:",
        "",
        *_table(
            ["label", *(f"{name} {field[0].upper()}" for name, _ in systems for field in PR_FIELDS)],
            [
                [f"`{label}`", *(cell(res, "", label, field) for _, res in systems for field in PR_FIELDS)]
                for label in acc["labels"]
            ],
        ),
        "",
    ]
    ft, lex = acc["fasttext"], acc["lexicon"]
    if "error" in ft:
        out.append(f"- fastText: failed ({ft['error']}).")
    else:
        out.append(
            f"- fastText: supervised, one-vs-all (`loss='ova'`, `minCount=1`, {FT_THREADS} threads: fewer "
            "leave part of its input matrix uninitialised), trained on "
            "`labels/sentences.csv` only, on the tokens of `classifier.tokens.tokenize` joined by spaces (the "
            "dev sentences go through `clean_text` first, as in `Predictor`); sentences without a label get "
            f"`__label__none`. Hyper-parameters chosen from {len(FT_QUICK_GRID if r['quick'] else FT_GRID)} "
            f"settings by grouped {ft['folds']}-fold cross-validation on the training labels: `{ft['params']}` "
            f"(CV macro-F1 {ft['cv_macro_f1']:.3f}); thresholds {ft['threshold_rule']}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in ft["thresholds"].items())
            + (
                f"; {ft['nan_retries']} fit(s) retried with another seed after fastText reported NaN"
                if ft["nan_retries"]
                else ""
            )
            + "."
        )
    if "error" in lex:
        out.append(f"- Keyword lexicon: failed ({lex['error']}).")
    else:
        out.append(
            "- Keyword lexicon (`bench/lexicon.py`): one list of terms per category written by hand from the "
            "category definitions, as an analyst would without a model "
            f"({', '.join(f'{k} {v}' for k, v in lex['terms'].items())} terms); a sentence gets a category "
            "when any of its terms occurs in it, after the same `clean_text` as the model's input (Traditional "
            "characters and full-width forms would otherwise hide terms from it)."
        )
    return out


def write_section(path: Path, section: str) -> None:
    """Put the section in `path` between the bench markers, keeping everything else; create the file if absent.

    The heading goes just above the begin marker, not inside: a script that rewrites the section before
    this one up to the next `## ` heading then leaves the marker alone. Any earlier copy of this section
    (heading or begin marker through end marker) is replaced, where the first one stood.
    """
    heading, _, body = section.strip("\n").partition("\n")
    block = f"{heading}\n\n{BEGIN}\n{body.strip()}\n{END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start_re = re.compile(rf"^(?:{re.escape(heading)}|{re.escape(BEGIN)})[ \t]*$", re.M)
    kept, first, pos = [], None, 0
    while (match := start_re.search(text, pos)) and (end := text.find(END, match.start())) != -1:
        kept.append(text[pos : match.start()])
        first = len("".join(kept)) if first is None else first
        pos = end + len(END)
    kept.append(text[pos:])
    rest = "".join(kept)
    if first is None:
        updated = rest.rstrip("\n") + "\n\n" + block
    else:
        before, after = rest[:first].rstrip("\n"), rest[first:].lstrip("\n")
        updated = (before + "\n\n" if before else "") + block + ("\n" + after if after else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpora, a smoke test (prints the section)")
    parser.add_argument("--workdir", type=Path, help="where to build corpora (a fresh directory is made inside)")
    parser.add_argument("--output", help="markdown file to update (default docs/benchmarks.md; '-' prints)")
    parser.add_argument(
        "--dev", type=Path, default=DEFAULT_DEV, help="labelled dev CSV (default ../shared/eval/dev.csv)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=600,
        help="seconds in all to wait for other processes to go quiet before timed steps (default 600)",
    )
    parser.add_argument(
        "--allow-stale", action="store_true", help="measure an installed package that differs from this checkout"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and write the section; exit 1 when a step failed, 2 when refused."""
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    output = args.output or ("-" if args.quick else str(DEFAULT_OUTPUT))
    package = import_package()
    stale = stale_files(package)
    if stale and not args.allow_stale:
        print(
            f"The installed package ({package}) differs from this checkout in {', '.join(stale[:10])}.\n"
            f"Install the checkout first ({DOC_COMMAND}), or pass --allow-stale.",
            file=sys.stderr,
        )
        return 2
    cli, env = measures_command(package)
    quiet = Quiet(args.max_wait)
    base = args.workdir
    if base:
        base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="measures-bench-", dir=base)).resolve()
    log(f"working in {work}; package {package}; CLI {' '.join(cli)}")
    r: dict[str, Any] = {
        "quick": args.quick,
        "stale": stale,
        "command": "python " + shlex.join(sys.argv),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(package, cli),
    }
    try:
        from classifier.predictor import default_model_dir

        r["bundled_size"] = dir_size(default_model_dir())
        seeds = seed_sentences()
        numbering = Numbering()
        r["corpus"] = {"seeds": len(seeds)}
        warm = [numbering.article(sentences) for sentences in seeds]
        first = list(articles(seeds, numbering, sizes["throughput_mb"]))
        corpora = [first] + [
            [numbering.article(seeds[k % len(seeds)]) for k in range(len(first))] for _ in range(sizes["repeats"] - 1)
        ]
        del first
        r["throughput"] = guarded(partial(throughput, corpora, warm, cli, env, work, quiet))
        del corpora
        r["cold"] = guarded(lambda: cold_start(cli, env, work, sizes["cold_runs"], quiet))
        r["training"] = guarded(lambda: training(cli, env, work, sizes["train_folds"], quiet))
        dev = args.dev.resolve()
        r["dev_display"] = os.path.relpath(dev, REPO) if dev.is_relative_to(REPO.parent) else str(dev)
        if dev.is_file():
            model_dir = r["training"].get("dir")
            r["accuracy"] = guarded(lambda: accuracy(dev, model_dir, work, args.quick))
        else:
            r["dev_missing"] = f"{r['dev_display']} not found"
            log(f"accuracy: skipped, {r['dev_missing']}")
        r["memory"] = guarded(lambda: peak_rss(seeds, numbering, sizes["rss_mb"], cli, env, work, quiet))
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    r["total_seconds"] = time.perf_counter() - _started
    r["quiet"] = {"waited": quiet.waited, "steps": quiet.steps, "budget": args.max_wait}
    section = render(r)
    if output == "-":
        print(section)
    else:
        write_section(Path(output), section)
        log(f"wrote {output}")
    for number, _name, measured, ratio, required, ok in targets(r):
        log(f"target {number}: {_verdict(ok).strip('*')}  {measured}  ({ratio}, required {required})")
    failed = [k for k in ("throughput", "cold", "training", "memory", "accuracy") if "error" in (r.get(k) or {})]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
