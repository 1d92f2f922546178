"""The versions a report records: of gxie, of its output schema, of the formats and of the label set.

>>> current_versions("rules:1")["schema"]
'1'
"""

from __future__ import annotations

from gxie._version import __version__
from gxie.labels import LABELS_VERSION
from gxie.templates import TEMPLATES_VERSION
from gxie.types import SCHEMA_VERSION


def current_versions(tagger_version: str | None = None) -> dict[str, str]:
    """The ``versions`` entry of a report made now: gxie, schema, templates, labels (and tagger if given).

    >>> sorted(current_versions("rules:1"))
    ['gxie', 'labels', 'schema', 'tagger', 'templates']
    """
    versions = {
        "gxie": __version__,
        "schema": SCHEMA_VERSION,
        "templates": TEMPLATES_VERSION,
        "labels": LABELS_VERSION,
    }
    if tagger_version is not None:
        versions["tagger"] = tagger_version
    return versions
