"""Measure `measures tag --dask` on a LocalCluster of 1 and of 2 workers and write the figures into the docs.

Usage (from the repository root, with `pip install '.[dask]'`):

    python bench/dask_scaling.py [--model DIR] [--copies 128] [--runs 3]

The corpus is `copies` copies of the five seed articles, one text file each, with a distinct number
spliced into every sentence so no two sentences are the same. Each run is the command a user types,
`python -m classifier tag CORPUS --dask ADDRESS -o OUT`, timed from start to exit against a cluster
whose workers were just restarted (so every run loads the model on its workers). The section
"Dask scaling (1 → 2 local workers)" of docs/benchmarks.md and the marked block of README.md are
rewritten with the results.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEADING = "## Dask scaling (1 → 2 local workers)"
README_START = "<!-- dask-scaling:start -->"
README_END = "<!-- dask-scaling:end -->"


def build_corpus(directory: Path, copies: int) -> tuple[int, int, int]:
    """Write the corpus; return (files, sentences, bytes)."""
    from classifier.segment import split_sentences
    from classifier.textnorm import normalise

    seeds = [split_sentences(normalise(p.read_text(encoding="utf-8"))) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    directory.mkdir(parents=True)
    number = files = sentences = size = 0
    for copy in range(copies):
        for k, article in enumerate(seeds):
            lines = []
            for sentence in article:
                number += 1
                cut = len(sentence) // 2
                lines.append(f"{sentence[:cut]}（第{number}条）{sentence[cut:]}。")
            text = "\n".join(lines) + "\n"
            path = directory / f"{copy:04d}_{k}.txt"
            path.write_text(text, encoding="utf-8")
            files += 1
            sentences += len(lines)
            size += len(text.encode("utf-8"))
    return files, sentences, size


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of a command that must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def measure(corpus: Path, work: Path, model: str | None, workers: int, runs: int, env: dict[str, str]) -> list[float]:
    """Wall times of `runs` runs of the --dask command on a LocalCluster of `workers` single-threaded workers."""
    from distributed import Client, LocalCluster

    times = []
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        for run in range(runs):
            client.restart()
            out = work / f"w{workers}-run{run}"
            command = [sys.executable, "-m", "classifier", "tag", str(corpus), "--dask", cluster.scheduler_address]
            command += ["-o", str(out), *(["--model", model] if model else [])]
            times.append(timed(command, env))
    return times


def wait_for_idle(max_wait: float, idle: float = 0.5) -> float:
    """Wait (at most `max_wait` seconds) until the 1-minute load average is below `idle`; return it."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= idle and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def replace_section(text: str, section: str) -> str:
    """`text` with the section under HEADING replaced by `section` (appended when absent).

    >>> replace_section("# B\\n\\n## Other\\nx\\n", "## Dask scaling (1 → 2 local workers)\\nnew\\n")
    '# B\\n\\n## Other\\nx\\n\\n## Dask scaling (1 → 2 local workers)\\nnew\\n'
    >>> replace_section("## Dask scaling (1 → 2 local workers)\\nold\\n\\n## Next\\ny\\n", "## Dask scaling (1 → 2 local workers)\\nnew\\n")
    '## Dask scaling (1 → 2 local workers)\\nnew\\n\\n## Next\\ny\\n'
    """  # noqa: E501
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        return pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1).rstrip("\n") + "\n"
    return text.rstrip("\n") + "\n\n" + section


def main() -> None:
    """Build the corpus, time both cluster sizes and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="Model directory (default: the bundled model).")
    parser.add_argument("--copies", type=int, default=256, help="Copies of the five seed articles.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-wait", type=float, default=600, help="Seconds to wait for an idle machine first.")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]  # the cluster's worker processes import this checkout too
    with tempfile.TemporaryDirectory(prefix="dask-scaling-") as tmp:
        corpus = Path(tmp) / "corpus"
        files, sentences, size = build_corpus(corpus, args.copies)
        print(f"corpus: {files} files, {sentences} sentences, {size / 1e6:.1f} MB", file=sys.stderr)
        load_before = wait_for_idle(args.max_wait)
        local = [corpus.parent / f"local-{run}.parquet" for run in range(args.runs)]
        model_args = ["--model", args.model] if args.model else []
        baseline = [
            timed([sys.executable, "-m", "classifier", "tag", str(corpus), "-o", str(out), *model_args], env)
            for out in local
        ]
        print(f"local, no Dask: {[round(t, 2) for t in baseline]} s", file=sys.stderr)
        results = {}
        for workers in (1, 2):
            results[workers] = measure(corpus, Path(tmp), args.model, workers, args.runs, env)
            print(f"{workers} worker(s): {[round(t, 2) for t in results[workers]]} s", file=sys.stderr)
        load_after = os.getloadavg()[0]
    one, two = statistics.median(results[1]), statistics.median(results[2])
    ratio = one / two
    import dask
    import distributed

    runs = "; ".join(f"{w} worker{'s' if w > 1 else ''}: " + ", ".join(f"{t:.1f}" for t in results[w]) for w in (1, 2))
    figure = (
        f"Tagging {files} text files ({sentences:,} sentences, {size / 1e6:.1f} MB) with `--dask` took a median "
        f"{one:.1f} s on one local worker and {two:.1f} s on two: **{ratio:.2f}× faster** with 2 workers "
        f"({os.cpu_count()} cores; {args.runs} runs each, wall seconds — {runs})."
    )
    section = f"""{HEADING}

Measured by `python bench/dask_scaling.py{" --model " + args.model if args.model else ""}` (this section is written \
by the script). The corpus is {args.copies} copies of the five seed articles, one text file per article, with a \
distinct number spliced into every sentence. Each run is `python -m classifier tag CORPUS --dask ADDRESS -o OUT` \
against a `LocalCluster(n_workers=N, threads_per_worker=1)` whose workers were restarted just before, so the time \
covers starting the command, sending the model and loading it on each worker, tagging and writing the Parquet \
dataset ({-(-files // 64)} partitions of up to 64 files).

| workers | {" | ".join(f"run {i + 1} (s)" for i in range(args.runs))} | median (s) |
| ---: |{" ---: |" * (args.runs + 1)}
""" + "".join(
        f"| {w} | " + " | ".join(f"{t:.1f}" for t in results[w]) + f" | {statistics.median(results[w]):.1f} |\n"
        for w in (1, 2)
    )
    section += (
        f"\nFor comparison, the local command without Dask (`python -m classifier tag CORPUS -o OUT.parquet`, one "
        f"process) took {', '.join(f'{t:.1f}' for t in baseline)} s (median {statistics.median(baseline):.1f} s).\n"
        f"\nSpeed-up from 1 to 2 workers: **{ratio:.2f}×** (median over median). Machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, dask {dask.__version__}, distributed {distributed.__version__}; "
        f"1-minute load average {load_before:.2f} before the runs and {load_after:.2f} after (other processes on "
        "the machine share its cores, so a high figure means the times are inflated).\n"
    )
    docs = ROOT / "docs" / "benchmarks.md"
    docs.parent.mkdir(exist_ok=True)
    old = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    docs.write_text(replace_section(old, section), encoding="utf-8")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = re.compile(rf"{re.escape(README_START)}.*?{re.escape(README_END)}", re.S)
    if block.search(text):
        readme.write_text(block.sub(lambda _: f"{README_START}\n{figure}\n{README_END}", text, count=1), "utf-8")
    print(figure)


if __name__ == "__main__":
    main()
