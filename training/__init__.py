"""Training-side tools of gxie: the synthetic corpus generator (``training.synth``) and its CLI."""
