"""A frozen train/test split of labelled reports, kept in a JSON file so it never changes between rounds.

A report is identified by the sha256 of its text. Once written to the split file, a report stays on its
side for good: the test side is what every candidate model and its predecessor are compared on, so no
report a model was trained on can ever be used to judge it. New reports go to the test side when the
first hex digits of their hash fall below ``test_share`` (deterministic, no random state).

Example::

    >>> from gxie.annotate.split import frozen_split  # doctest: +SKIP
    >>> train, test = frozen_split(records, "annotations/split.json")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from gxie.errors import ConfigError

SPLIT_VERSION = 1
T = TypeVar("T")


def text_key(text: str) -> str:
    """The key of a report in the split file: the first 16 hex digits of the sha256 of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _fraction(key: str) -> float:
    return int(key, 16) / 16 ** len(key)


def load_split(path: str | Path) -> dict[str, str]:
    """``{key: "train" | "test"}`` from a split file; empty when the file does not exist yet."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sides = {k: side for side in ("train", "test") for k in data[side]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot read the split file {path}: {exc}; it must hold {{'train': [keys], 'test': [keys]}}. "
            "Restore it from version control (deleting it changes which reports judge the models)"
        ) from exc
    return sides


def frozen_split(
    items: Sequence[T], path: str | Path, *, text_of: Any = None, test_share: float = 0.3
) -> tuple[list[T], list[T]]:
    """Split ``items`` (records with a ``text``, or anything ``text_of`` maps to its text) into train and
    test, honouring and extending the split file at ``path``.

    While the file assigns no report to one side yet, at least one report goes to each side (when there
    are two or more), so the first round can already be judged.
    """
    if not 0.0 < test_share < 1.0:
        raise ConfigError(f"test_share must be between 0 and 1 (exclusive), got {test_share!r}")
    get_text = text_of or (lambda item: item["text"] if isinstance(item, dict) else item.text)
    path = Path(path)
    sides = load_split(path)
    keys = [text_key(get_text(item)) for item in items]
    new = [k for k in dict.fromkeys(keys) if k not in sides]
    for k in new:
        sides[k] = "test" if _fraction(k) < test_share else "train"
    if new and len(set(keys)) >= 2:
        assigned = set(sides.values())
        if "test" not in assigned:  # the new report with the lowest hash fraction judges
            sides[min(new, key=_fraction)] = "test"
        elif "train" not in assigned:
            sides[max(new, key=_fraction)] = "train"
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": SPLIT_VERSION,
            "about": "frozen split of labelled reports (sha256 of the text, 16 hex digits); "
            "written by gxie annotate retrain, do not edit: a report never changes side",
            "train": sorted(k for k, s in sides.items() if s == "train"),
            "test": sorted(k for k, s in sides.items() if s == "test"),
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    train = [item for item, k in zip(items, keys, strict=True) if sides[k] == "train"]
    test = [item for item, k in zip(items, keys, strict=True) if sides[k] == "test"]
    return train, test
