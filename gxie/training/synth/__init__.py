"""Synthetic training corpus for gxie's tagger: varied report texts with exact labels and gold grids.

>>> from gxie.templates import load_template
>>> from gxie.training.synth import generate
>>> report = next(generate(1, seed=0))
>>> list(report.flat) == load_template(report.template).flat_keys()
True

Layout families: ``gxie.training.synth.layouts.LAYOUTS``; noise levels: ``gxie.training.synth.noise.NOISE_LEVELS``.
Modules: values (numbers and relations), tables (grids of labelled cells), layouts / pdf (how tables
read as text), noise (OCR / Traditional), narrative / prose / agencies (everything around the
tables), builder (text with labels), report (one report), corpus (the API below).
"""

from gxie.training.synth.agencies import AGENCY_POOLS
from gxie.training.synth.corpus import (
    RECORD_COLUMNS,
    build_dataset,
    dataset_row_to_record,
    generate,
    records_to_dataset,
    to_records,
)
from gxie.training.synth.layouts import LAYOUT_FAMILIES, LAYOUTS
from gxie.training.synth.noise import NOISE_LEVELS
from gxie.training.synth.report import SynthReport
from gxie.training.synth.values import parse_cell, relation_failures

__all__ = [
    "AGENCY_POOLS",
    "LAYOUTS",
    "LAYOUT_FAMILIES",
    "NOISE_LEVELS",
    "RECORD_COLUMNS",
    "SynthReport",
    "build_dataset",
    "dataset_row_to_record",
    "generate",
    "parse_cell",
    "records_to_dataset",
    "relation_failures",
    "to_records",
]
