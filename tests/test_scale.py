"""gxie.batch.ray on a local Ray cluster (2 CPUs): the same rows as a local run, and the Dataset recipe.

Needs the ``gxie[scale]`` extra (``ray[data]``); skipped with a message when Ray is not installed. Starting
Ray takes several seconds, so the tests share one local cluster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip(
    "ray", reason="Ray is not installed: the scale-out tests need the gxie[scale] extra (pip install 'gxie[scale]')"
)

from gxie.batch import run_batch  # noqa: E402 - after the skip above
from gxie.batch.discover import file_sha256  # noqa: E402
from gxie.batch.ray import RESULT_COLUMNS, extract_dataset, report_dicts  # noqa: E402
from gxie.export import read_jsonl  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    if ray.is_initialized():
        pytest.skip("a Ray cluster is already running in this process; these tests start their own")
    # the actors import gxie from this checkout, which need not be installed
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        configure_logging=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gxie.training.synth import generate

    folder = tmp_path_factory.mktemp("reports")
    for report in generate(4, seed=31, broken_share=0.0):
        (folder / f"{report.id}.txt").write_text(report.text[:3000], encoding="utf-8")
    (folder / "notes.xyz").write_text("not a report", encoding="utf-8")
    return folder


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "timings"}


@pytest.mark.usefixtures("local_ray")
def test_the_ray_engine_writes_the_rows_a_local_run_writes(inputs: Path, tmp_path: Path) -> None:
    options: dict[str, Any] = {"tagger": "rules", "batch_size": 2, "progress": False}
    local = run_batch([inputs], tmp_path / "local", **options)
    on_ray = run_batch([inputs], tmp_path / "ray", workers=2, engine="ray", **options)
    assert on_ray.by_status == local.by_status and on_ray.failed_checks == local.failed_checks
    assert on_ray.processed == on_ray.files == 5
    by_source = {r["source"]: comparable(r) for r in read_jsonl(tmp_path / "local" / "results.jsonl")}
    assert {r["source"]: comparable(r) for r in read_jsonl(tmp_path / "ray" / "results.jsonl")} == by_source
    assert (tmp_path / "ray" / "reports.csv").read_bytes() == (tmp_path / "local" / "reports.csv").read_bytes()
    again = run_batch([inputs], tmp_path / "ray", tagger="rules", workers=2, engine="ray", progress=False)
    assert again.skipped == 5 and again.processed == 0  # resume works the same on Ray


@pytest.mark.usefixtures("local_ray")
def test_extract_dataset_maps_paths_to_report_rows(inputs: Path) -> None:
    paths = sorted(str(p) for p in inputs.iterdir())
    ds = ray.data.from_items([{"path": p} for p in paths])
    results = extract_dataset(ds, tagger="rules", batch_size=2, concurrency=2)
    rows = sorted(results.take_all(), key=lambda row: row["path"])
    assert [row["path"] for row in rows] == paths
    assert all(set(row) == set(RESULT_COLUMNS) for row in rows)
    assert [row["content_hash"] for row in rows] == [file_sha256(p) for p in paths]
    reports = {d["source"]: d for d in report_dicts(results)}
    assert sorted(reports) == paths
    assert {row["path"]: row["status"] for row in rows} == {p: d["status"] for p, d in reports.items()}
    assert reports[str(inputs / "notes.xyz")]["issues"][0]["code"] == "unsupported_format"
    assert json.loads(rows[0]["report"])["tagger"] == "rules:1"


@pytest.mark.usefixtures("local_ray")
def test_a_file_that_hangs_on_ray_times_out_and_the_others_finish(tmp_path: Path) -> None:
    """``--timeout`` holds on Ray as it does locally: each actor extracts in a worker process of its own,
    stopped when a file runs past the limit; that file gets a failed row, the batch's others their own."""
    from gxie.batch import TIMEOUT
    from gxie.training.synth import generate
    from tests.fake_taggers import HANG, MarkerTagger

    folder = tmp_path / "in"
    folder.mkdir()
    texts = [r.text for r in generate(2, seed=4242, broken_share=0.0)]
    (folder / "a.txt").write_text(texts[0], encoding="utf-8")
    (folder / "b_hang.txt").write_text(texts[1] + HANG, encoding="utf-8")
    out = tmp_path / "out"
    summary = run_batch(
        [folder], out, tagger=MarkerTagger(), workers=1, batch_size=2, engine="ray", timeout=3, progress=False
    )
    rows = {Path(r["source"]).name: r for r in read_jsonl(out / "results.jsonl")}
    assert {name: r["status"] for name, r in rows.items()} == {"a.txt": "ok", "b_hang.txt": "failed"}
    assert rows["b_hang.txt"]["issues"][0]["code"] == TIMEOUT
    assert "took longer than the limit of 3 s per file" in rows["b_hang.txt"]["issues"][0]["message"]
    assert summary.by_status == {"ok": 1, "failed": 1}
    with pytest.raises(ValueError, match=r"timeout must be 0 \(no limit\) or a number of seconds above 0"):
        extract_dataset(ray.data.from_items([{"path": str(folder / "a.txt")}]), timeout=-1)
