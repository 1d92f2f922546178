"""Talk to a Label Studio server (label-studio-sdk 2.x): push tasks with predictions, pull the export.

The server URL and API key come from the arguments or the environment (``GXIE_LS_URL`` /
``LABEL_STUDIO_URL``, ``GXIE_LS_API_KEY`` / ``LABEL_STUDIO_API_KEY``). The key is never printed, logged or
put into an error message.

Example::

    >>> from gxie.annotate.client import connect, push, pull  # doctest: +SKIP
    >>> ls = connect()                                         # doctest: +SKIP
    >>> pushed = push(ls, "gxie reports", tasks)               # doctest: +SKIP
    >>> export = pull(ls, "gxie reports")                      # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gxie.annotate.config import labeling_config
from gxie.errors import ConfigError, GxieError, MissingExtraError
from gxie.types import IssueCode

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

log = logging.getLogger(__name__)
URL_VARS = ("GXIE_LS_URL", "LABEL_STUDIO_URL")
KEY_VARS = ("GXIE_LS_API_KEY", "LABEL_STUDIO_API_KEY")
IMPORT_CHUNK = 50  # tasks per import request (each carries a whole report)
RETRIES = 2  # the SDK retries a failed request this often, with back-off
TIMEOUT_S = 120.0  # an export of a large project takes a while


class ServerError(GxieError):
    """The Label Studio server refused a request or could not be reached."""

    code = IssueCode.LABEL_STUDIO_ERROR


@dataclass(frozen=True)
class Pushed:
    """What a push did: the project, whether it was created, tasks imported and already present."""

    project_id: int
    created: bool
    imported: int
    already_there: int


def credentials(url: str | None = None, api_key: str | None = None) -> tuple[str, str]:
    """The server URL and API key from the arguments, else the environment; ConfigError naming the
    variables to set when one is missing (the key itself is never shown)."""
    url = url or next((os.environ[v] for v in URL_VARS if os.environ.get(v)), None)
    api_key = api_key or next((os.environ[v] for v in KEY_VARS if os.environ.get(v)), None)
    if not url:
        raise ConfigError(f"no Label Studio URL: pass --url or set {' or '.join(URL_VARS)}")
    if not api_key:
        raise ConfigError(
            f"no Label Studio API key: pass --api-key or set {' or '.join(KEY_VARS)} "
            "(Account & Settings > Personal Access Token, or the legacy token)"
        )
    return url.rstrip("/"), api_key


def connect(url: str | None = None, api_key: str | None = None, *, retries: int | None = None) -> LabelStudio:
    """A label-studio-sdk client for the server (see :func:`credentials`); ``retries`` defaults to RETRIES."""
    try:
        from label_studio_sdk import LabelStudio
    except ImportError as exc:
        raise MissingExtraError("label-studio-sdk", "annotate", "Talking to Label Studio") from exc
    base_url, key = credentials(url, api_key)
    return LabelStudio(
        base_url=base_url, api_key=key, timeout=TIMEOUT_S, max_retries=RETRIES if retries is None else retries
    )


def find_project(ls: LabelStudio, title: str) -> int | None:
    """The id of the project called exactly ``title`` (the oldest one if several), or None."""
    projects = _call("list projects", ls.projects.list, title=title, many=True)
    matches = sorted(p.id for p in projects if _title(p) == title)
    return matches[0] if matches else None


def push(ls: LabelStudio, title: str, tasks: Sequence[Mapping[str, Any]], *, label_config: str | None = None) -> Pushed:
    """Create the project ``title`` (or reuse it and set its labeling config), then import ``tasks`` with
    their predictions. Tasks whose report (``data.content_hash``) is already in the project are not
    imported twice."""
    config = label_config or labeling_config()
    project_id = find_project(ls, title)
    created = project_id is None
    if project_id is None:
        project = _call(f"create project {title!r}", ls.projects.create, title=title, label_config=config)
        project_id = int(project.id)
    else:
        _call(f"set the labeling config of project {project_id}", ls.projects.update, project_id, label_config=config)
    present = _hashes(ls, project_id)
    new = [t for t in tasks if not (h := (t.get("data") or {}).get("content_hash")) or h not in present]
    for first in range(0, len(new), IMPORT_CHUNK):
        chunk = [dict(t) for t in new[first : first + IMPORT_CHUNK]]
        _call(f"import tasks into project {project_id}", ls.projects.import_tasks, project_id, request=chunk)
    log.info("project %s: %d tasks imported, %d already there", project_id, len(new), len(tasks) - len(new))
    return Pushed(project_id, created, len(new), len(tasks) - len(new))


def pull(ls: LabelStudio, project: str | int, *, all_tasks: bool = True) -> list[dict[str, Any]]:
    """The project's JSON export (project given by id or exact title); ``all_tasks`` includes tasks not
    labelled yet, so the import can count them."""
    project_id = project if isinstance(project, int) else find_project(ls, project)
    if project_id is None:
        raise ConfigError(f"no Label Studio project is called {project!r}; check the title or pass its id")
    pid = project_id
    chunks = _call(
        f"export project {pid}",
        ls.projects.exports.download_sync,
        pid,
        export_type="JSON",
        download_all_tasks=all_tasks,
        many=True,
    )
    data = b"".join(chunks)
    tasks = json.loads(data)
    if not isinstance(tasks, list):
        raise ServerError(f"the export of project {pid} is not a list of tasks: {str(tasks)[:200]}")
    return tasks


def _hashes(ls: LabelStudio, project_id: int) -> set[str]:
    tasks = _call(f"list the tasks of project {project_id}", ls.tasks.list, project=project_id, fields="all", many=True)
    return {str(h) for t in tasks if (h := (getattr(t, "data", None) or {}).get("content_hash"))}


def _title(project: Any) -> str:
    return str(getattr(project, "title", "") or "")


def _call(what: str, fn: Any, *args: Any, many: bool = False, **kwargs: Any) -> Any:
    """Run one SDK call (``many``: read its pager or stream to the end here, so those errors are caught
    too); connection and HTTP errors become a ServerError saying what failed, with the status and body."""
    try:
        return list(fn(*args, **kwargs)) if many else fn(*args, **kwargs)
    except GxieError:
        raise
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        body = getattr(exc, "body", None)
        detail = f"HTTP {status}: {str(body)[:300]}" if status is not None else f"{type(exc).__name__}: {exc}"
        hint = (
            " (is the API key right? legacy tokens need LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN)" if status == 401 else ""
        )
        raise ServerError(f"Label Studio could not {what}: {detail}{hint}") from None
