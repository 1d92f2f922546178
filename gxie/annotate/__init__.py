"""The annotation loop with Label Studio: pre-annotated tasks, server round trip, import, selection,
retraining with a promotion gate. See annotations/README.md for the walk-through.

Modules (imported on use; the server client needs ``pip install 'gxie[annotate]'``):
``config`` (labeling config), ``offsets`` (UTF-16 <-> code points), ``tasks`` (tasks with predictions),
``client`` (push/pull), ``importer`` (export -> training records), ``select`` (what to label first),
``split`` (the frozen train/test split), ``retrain`` (fine-tune, evaluate, promote or refuse), ``cli``
(``gxie annotate``).
"""
