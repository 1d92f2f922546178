"""``gxie export-onnx DIR``: write ``model.onnx`` (and ``model.int8.onnx``) for a model directory.

Models saved by this gxie already have them; this is for a directory saved without the ``onnx`` package
or by an older gxie. Needs ``pip install onnx`` (the ``train`` extra has it), not torch.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``gxie export-onnx``."""
    parser.add_argument("model_dir", metavar="DIR", help="a model directory (config.json, model.safetensors, ...)")
    parser.add_argument("--no-int8", dest="int8", action="store_false", help="do not write model.int8.onnx")


def run(args: argparse.Namespace) -> int:
    """Export; 0 on success, 1 with a message on stderr when the directory or the onnx package is missing."""
    from gxie.errors import ModelError
    from gxie.tagging.modeldir import read_model_dir
    from gxie.tagging.onnx_export import export_onnx

    try:
        model_dir = read_model_dir(args.model_dir)
        path = export_onnx(model_dir.path, int8=args.int8)
    except ModelError as exc:
        print(f"gxie export-onnx: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}" + (" and model.int8.onnx beside it" if args.int8 else ""))
    print(f"use it with: gxie extract --model {model_dir.path} FILE")
    return 0
