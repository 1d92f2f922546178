"""Bundled gxie tagging models (installed as ``gxie.bundled_models``)."""
