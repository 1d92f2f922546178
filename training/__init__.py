"""Scripts of the repository (not shipped): corpus building, OCR corpus and alignment, benchmarks. The
synthetic report generator they use ships inside the package as ``gxie.training.synth``."""
