"""A frozen train/test split of labelled reports, kept in a JSON file so it never changes between rounds.

A report is identified by the sha256 of its text. Once written to the split file, a report stays on its
side for good: the test side is what every candidate model and its predecessor are compared on, so no
report a model was trained on can ever be used to judge it. Only reports a person labelled or corrected
can judge (``eligible``); any other labelled text (records of unknown origin) always trains. New eligible
reports go to the test side when the first hex digits of their hash fall below ``test_share``
(deterministic, no random state); while the test side holds fewer than ``min_test`` reports, new eligible
reports fill it first (lowest hash first), as long as one report is left to train on.

Example::

    >>> from gxie.annotate.split import frozen_split  # doctest: +SKIP
    >>> train, test = frozen_split(records, "annotations/split.json")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
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
    items: Sequence[T],
    path: str | Path,
    *,
    text_of: Any = None,
    eligible: Callable[[T], bool] | None = None,
    test_share: float = 0.3,
    min_test: int = 1,
    accept: Callable[[list[T], list[T]], None] | None = None,
) -> tuple[list[T], list[T]]:
    """Split ``items`` (records with a ``text``, or anything ``text_of`` maps to its text) into train and
    test, honouring and extending the split file at ``path``. ``eligible`` (default: every item) says
    which items may judge; the others always train.

    While the test side holds fewer than ``min_test`` reports, new eligible reports go to it first, keeping
    one report (when there are two or more) on the train side, so the first round can already be judged.
    ``accept(train, test)`` may raise to refuse the split: then the file is left as it was.
    """
    if not 0.0 < test_share < 1.0:
        raise ConfigError(f"test_share must be between 0 and 1 (exclusive), got {test_share!r}")
    if min_test < 1:
        raise ConfigError(f"min_test must be at least 1, got {min_test!r}")
    get_text = text_of or (lambda item: item["text"] if isinstance(item, dict) else item.text)
    path = Path(path)
    sides = load_split(path)
    keys = [text_key(get_text(item)) for item in items]
    may_judge = {k for item, k in zip(items, keys, strict=True) if eligible is None or eligible(item)}
    new = [k for k in dict.fromkeys(keys) if k not in sides]
    for k in new:
        sides[k] = "test" if k in may_judge and _fraction(k) < test_share else "train"
    here = set(keys)
    open_new = sorted((k for k in new if k in may_judge and sides[k] == "train"), key=_fraction)
    while open_new and sum(sides[k] == "test" for k in here) < min_test:
        if sum(sides[k] == "train" for k in here) <= 1:
            break  # the last report left to train on stays there
        sides[open_new.pop(0)] = "test"
    if new and len(here) >= 2 and not any(sides[k] == "train" for k in here):
        sides[max((k for k in new if sides[k] == "test"), key=_fraction)] = "train"
    train = [item for item, k in zip(items, keys, strict=True) if sides[k] == "train"]
    test = [item for item, k in zip(items, keys, strict=True) if sides[k] == "test"]
    if accept is not None:
        accept(train, test)
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
    return train, test
