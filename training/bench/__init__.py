"""gxie benchmarks: accuracy, calibration and speed of the pipeline, rules tagger vs model tagger, on clean
and noisy text, on OCR-damaged scans and on the real seed reports; prints the benchmark page.

Sets (``sets``): clean synthetic reports per layout family and noisy synthetic reports per noise level of
gxie.training.synth (every layout family mixed), agencies held out from training; the seed reports' own
text; with ``--corpus``, the OCR corpus of training.ocr_corpus per damage level (synthetic and seed
reports rendered, damaged and OCR'd). Scores (``score``, through ``gxie.pipeline.run``): for each set and
tagger, cell accuracy (every key of the format, null and 0 told apart), share of reports with every cell
right, relation checks passing; a ``gold spans`` column feeds the generator's labels (carried onto the OCR
text by training.ocr_align) to the grid rebuild: the ceiling the text allows. The synthetic text sets are
also split by format and layout. Calibration: accuracy of the cells found, by confidence bucket. Speed
(``speed``): a fresh process per tagger on typical text reports. The page (``tables``) opens with a
summary computed from these numbers and the bundled model's card (version, test F1, training time).

The page goes to stdout unless ``--out FILE`` is given; progress goes to stderr. Without ``--corpus`` the
OCR sets are left out (the corpus is built apart, below).

    python -m training.ocr_corpus --out data/ocr --n 24 --seed 90001 --levels mild --seed-levels mild
    python -m training.ocr_corpus --out data/ocr --n 6 --seed 90001 \\
        --levels clean lowres blur noise rotate jpeg severe --seed-levels severe
    python -m training.ocr_corpus --out data/ocr --n 9 --seed 90002 --levels mild --no-seeds --append \\
        --layouts cell_lines_dropped word_indent pdf_text          # these three first, once (OCR: ~50 min)
    python -m training.bench --corpus data/ocr --out docs/benchmarks.md    # every set; rewrites the page
    python -m training.bench --n 5 --speed-reports 0                       # a quick look, printed only
"""
