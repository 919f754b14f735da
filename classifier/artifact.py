"""Model directories: `model.joblib` plus `meta.json`, written atomically and checked on load."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

from .corpus import sha256_file
from .errors import ModelError

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a saved model depends on."""
    versions = {"python": platform.python_version()}
    for dist in ("policy-measures", "scikit-learn", "jieba", "rjieba", "joblib", "numpy", "scipy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


def save_model(model: Any, meta: dict[str, Any], directory: str | Path) -> dict[str, Any]:
    """Write `model` and `meta` (completed with format, versions and hash) as a directory, atomically.

    The files go to a temporary sibling directory first; the previous model is swapped out only
    once the new one is complete, so a crash leaves either the old or the new model in place.
    """
    import joblib

    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        joblib.dump(model, staging / MODEL_FILE, compress=3)
        meta = {
            "format_version": FORMAT_VERSION,
            **meta,
            "versions": library_versions(),
            "model_sha256": sha256_file(staging / MODEL_FILE),
        }
        (staging / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
        for name in (MODEL_FILE, META_FILE):
            with (staging / name).open("rb") as handle:
                os.fsync(handle.fileno())
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return meta


def _swap_in(staging: Path, target: Path) -> None:
    """Replace directory `target` by `staging` so that one of them is complete at every moment."""
    if not target.exists():
        os.replace(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.replace(target, retired / target.name)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def read_meta(directory: str | Path) -> dict[str, Any]:
    """The parsed `meta.json` of a model directory, checked for format version."""
    directory = Path(directory)
    path = directory / META_FILE
    if not directory.is_dir():
        raise ModelError(f"{directory}: no such model directory; train one with `measures train`")
    try:
        meta = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{path}: missing; a model directory needs model.joblib and meta.json (retrain with `measures train`)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({exc}); retrain with `measures train`") from exc
    if not isinstance(meta, dict):
        raise ModelError(f"{path}: not a JSON object; retrain with `measures train`")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format version {version!r}, this policy-measures reads version "
            f"{FORMAT_VERSION}; retrain with `measures train` or install the policy-measures "
            "release that wrote it"
        )
    for key in ("labels", "thresholds", "model_sha256"):
        if key not in meta:
            raise ModelError(f"{path}: no {key!r} entry; retrain with `measures train`")
    return meta


def load_model(directory: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a model directory after checking its meta and the sha256 of `model.joblib`.

    The hash is checked before unpickling: a joblib file can run code when loaded, so only a
    file whose hash matches the one recorded at training time is opened.
    """
    import joblib

    directory = Path(directory)
    meta = read_meta(directory)
    path = directory / MODEL_FILE
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror}); retrain with `measures train`") from exc
    if digest != meta["model_sha256"]:
        raise ModelError(
            f"{path}: sha256 {digest[:12]}… does not match {meta['model_sha256'][:12]}… in meta.json; "
            "the file was changed or corrupted, refusing to load it (retrain or restore the model)"
        )
    _warn_on_version_drift(meta)
    try:
        model = joblib.load(path)
    except Exception as exc:
        raise ModelError(
            f"{path}: cannot be loaded ({type(exc).__name__}: {exc}); retrain with `measures train`"
        ) from exc
    classes = getattr(model, "classes_", None)
    labels = [label["id"] for label in meta["labels"]]
    if classes is not None and len(classes) != len(labels):
        raise ModelError(
            f"{path}: the model has {len(classes)} outputs but meta.json lists "
            f"{len(labels)} labels; retrain with `measures train`"
        )
    return model, meta


def _warn_on_version_drift(meta: dict[str, Any]) -> None:
    """Warn when scikit-learn or jieba differ from the versions that trained the model."""
    trained = meta.get("versions", {})
    current = library_versions()
    for dist in ("scikit-learn", "jieba"):
        if trained.get(dist) and trained[dist] != current[dist]:
            warnings.warn(
                f"model trained with {dist} {trained[dist]}, running {dist} {current[dist]}: "
                "predictions may differ; retrain with `measures train` to be sure",
                stacklevel=3,
            )
