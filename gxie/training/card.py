"""The model card (README.md in a model directory): data, configuration, scores, time, machine, versions.

Rendered from what ``gxie_config.json`` records, so a card can be rebuilt from the model directory alone.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gxie.labels import ENTITY_DESCRIPTIONS, ENTITY_TYPES

if TYPE_CHECKING:
    from gxie.tagging.model import ModelTagger

CARD_FILE = "README.md"


def environment(device: str) -> dict[str, Any]:
    """The machine and package versions a model was trained with."""
    import torch
    import transformers

    from gxie._version import __version__

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if device.startswith("cuda") and torch.cuda.is_available() else None
    return {
        "machine": {
            "os": platform.platform(),
            "cpu": cpu,
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "device": device,
            "gpu": gpu,
        },
        "versions": {
            "python": platform.python_version(),
            "gxie": __version__,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
    }


def render_card(meta: dict[str, Any], command: str | None = None) -> str:
    """Markdown for a model directory's ``gxie_config.json`` contents."""
    training: dict[str, Any] = meta.get("training") or {}
    metrics: dict[str, Any] = meta.get("metrics") or {}
    config: dict[str, Any] = training.get("config") or {}
    data: dict[str, Any] = training.get("data") or {}
    env: dict[str, Any] = training.get("environment") or {}
    test = metrics.get("test") or {}
    lines = [
        f"# gxie character tagger `{meta.get('model_version', 'unsaved')}`",
        "",
        "A character-level IOB2 tagger for Chinese government information-disclosure annual reports:",
        "it labels section headings, table captions, row and column labels, numeric cells and empty",
        "markers in *normalized* report text (see `gxie.labels`). A ModernBERT token classifier over",
        f"single characters, {_origin(config)}",
        "",
        f"- labels version {meta.get('labels_version')}, tags: {', '.join(meta.get('labels', []))}",
        f"- window {meta.get('window')} characters, stride {meta.get('stride')}",
        f"- vocabulary: {meta.get('vocab', {}).get('size')} tokens ({meta.get('vocab', {}).get('recipe')})",
        f"- gxie {meta.get('gxie_version')}",
    ]
    if test:
        lines += ["", f"**Test micro-F1 (seqeval, strict IOB2): {test['micro']['f1']:.4f}**"]
    for split in ("dev", "test"):
        if metrics.get(split):
            lines += [
                "",
                f"## Scores on {split} ({metrics[split]['n_texts']} texts)",
                "",
                *_score_table(metrics[split]),
            ]
    by = metrics.get("test_micro_f1_by") or {}
    if by:
        lines += [
            "",
            "### Test micro-F1 by kind of text",
            "",
            "| field | value | micro-F1 |",
            "|---|---|---|",
        ]
        lines += [f"| {key} | {value} | {f1:.4f} |" for key, scores in by.items() for value, f1 in scores.items()]
    if data:
        lines += [
            "",
            "## Data",
            "",
            "| split | texts | characters | synthetic | files | entities |",
            "|---|---|---|---|---|---|",
        ]
        for name, s in (data.get("splits") or {}).items():
            files = ", ".join(f"{p} ({n})" for p, n in s.get("files", {}).items()) or "-"
            entities = ", ".join(f"{k} {v}" for k, v in s.get("entities", {}).items())
            lines.append(f"| {name} | {s['texts']} | {s['characters']} | {s['synthetic']} | {files} | {entities} |")
        lines += ["", f"Synthetic generator settings: `{data.get('synthetic')}`."]
        lines += [f"Texts of dev/test identical to a training text: `{data.get('overlap_with_train')}`."]
    if training:
        seconds = training.get("seconds", {})
        lines += [
            "",
            "## Training",
            "",
            f"- {training.get('steps')} optimizer steps; best dev score at step {training.get('best_step')}",
            f"- wall time: {seconds.get('total')} s in all ({seconds.get('data')} s data generation and "
            f"normalization, {seconds.get('training')} s training and evaluation)",
            f"- final training loss (mean of the last 50 steps): {training.get('final_loss')}",
        ]
        if command:
            lines += [f"- command: `{command}`"]
        machine, versions = env.get("machine", {}), env.get("versions", {})
        if machine:
            lines += [
                f"- machine: {machine.get('cpu')} ({machine.get('cpu_count')} cores, "
                f"{machine.get('torch_threads')} torch threads), device {machine.get('device')}"
                + (f" ({machine['gpu']})" if machine.get("gpu") else "")
                + f", {machine.get('os')}",
                "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
            ]
        lines += [
            "",
            "Training is deterministic for a given seed, configuration and machine; the number of CPU",
            "threads (and the device) changes the order of floating-point sums, so bitwise identical",
            "weights need the same thread count.",
            "",
            "### Configuration",
            "",
            "```yaml",
            yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(),
            "```",
        ]
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "from gxie.tagging.model import ModelTagger",
        "tagger = ModelTagger.from_pretrained(PATH)  # local directory only",
        "spans = tagger.tag(normalized_text)",
        "```",
        "",
    ]
    return "\n".join(lines)


def _origin(config: dict[str, Any]) -> str:
    """How the weights came about: fine-tuned from ``init_from`` when it is set, else from scratch."""
    if config.get("init_from"):
        return f"fine-tuned from `{config['init_from']}` (its architecture, vocabulary and labels kept)."
    return "trained from scratch; no pretrained weights."


def write_card(path: str | Path, tagger: ModelTagger, command: str | None = None) -> Path:
    """Write README.md into the model directory ``path`` from ``tagger.metadata``."""
    out = Path(path) / CARD_FILE
    out.write_text(render_card(tagger.metadata, command), encoding="utf-8")
    return out


def _score_table(evaluation: dict[str, Any]) -> list[str]:
    rows = ["| label | meaning | precision | recall | F1 | support |", "|---|---|---|---|---|---|"]
    per_label = evaluation.get("per_label", {})
    for label in ENTITY_TYPES:
        if label in per_label:
            s = per_label[label]
            rows.append(
                f"| {label} | {ENTITY_DESCRIPTIONS[label]} | {s['precision']:.4f} | {s['recall']:.4f} | "
                f"{s['f1']:.4f} | {s['support']} |"
            )
    m = evaluation["micro"]
    rows.append(f"| micro | all | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | {m['support']} |")
    return rows
