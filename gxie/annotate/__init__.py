"""The annotation loop with Label Studio: pre-annotated tasks, server round trip, import, selection,
retraining with a promotion gate, and an ML backend. See annotations/README.md for the walk-through.

Modules (imported on use; the server client needs ``pip install 'gxie[annotate]'``):
``config`` (labeling config), ``offsets`` (UTF-16 <-> code points), ``tasks`` (tasks with predictions),
``client`` (push/pull), ``importer`` (export -> training records), ``agreement`` (several annotators:
pairwise F1, majority), ``select`` (what to label first: table checks and the model's doubt), ``dedup``
(near-duplicate reports, MinHash), ``pick`` (the ranking with labelled and duplicate reports left out),
``split`` (the frozen train/test split), ``gate`` (bootstrap interval of the F1 gain), ``rollback``
(promotion with the replaced model kept), ``retrain`` (fine-tune, evaluate, promote or refuse),
``backend`` (the ML backend Label Studio connects to).
"""
