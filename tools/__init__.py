"""Developer tools of the gxie repository (not shipped in the wheel): the fuzzing harness and its helpers.

``python -m tools.fuzz --quick`` runs a short fuzz; see ``tools/fuzz.py`` and ``docs/reliability.md``.
"""
