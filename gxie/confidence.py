"""Every confidence factor and threshold of the grid rebuild and validation, each with the reason for its value.

A cell's confidence is the tagger's score of its value times the factors of the doubts met on the way (a
weak label match, a row read left to right, a relation that fails on it). Thresholds compare label match
scores (0-1, ``gxie.templates.lexicon``) or confidences. Changing a value moves the benchmarks.
"""

from __future__ import annotations

# --- Label matching (gxie.templates.lexicon, gxie.grid.rows, gxie.metadata) -------------------------------
PREFIX_MATCH = 0.97  # a label that starts with a known label and goes on (an explanation): almost exact
WRAPPED_PREFIX_BASE = 0.6  # a label's first line alone (wrapped in its cell) scores at least this much...
WRAPPED_PREFIX_SPAN = 0.35  # ...plus this times the share of the label it covers, staying below PREFIX_MATCH
BARE_TOTAL_LABEL = 0.5  # 总计/其他 without numbering is a column, with numbering a row: halve the other reading
SPLIT_LABEL_MATCH = 0.8  # every piece of a cell split in two labels must match this well, or it stays whole
MIN_ROW_SCORE = 0.5  # a row label matching worse than this is an unknown row (its numbers are not used)
STARTS_NEW_ROW = 0.6  # a next line matching a label this well starts a row instead of wrapping the last one
HEADER_MATCH = 0.85  # a column header must match this well to place section 四 or to vote for a format
SECTION_TITLE_MATCH = 0.75  # a section heading this close to the official title counts as standard wording

# --- Cell segmentation (gxie.text.cells) ---------------------------------------------------------------
MIN_LABEL_COVER = 0.3  # a label cell counts as one label only if its tagged pieces cover this share of it

# --- Format detection and table layout (gxie.grid.detect, gxie.grid.build) ------------------------------
FORMAT_BY_YEAR = 0.5  # no table evidence either way: the format is the year's, a coin toss at heart
FORMAT_CONFIDENT = 0.7  # below this share of the evidence the chosen format is reported as uncertain
CLOSE_FIT = 0.9  # two readings of a table whose fitness is this close are decided by the relations
BLOCK_LAYOUT_FIT = 0.3  # rows whose value runs fit worse than this (per row) are read as one block
BLOCK_LAYOUT_CELL = 0.85  # a cell of a block layout: the order (by column or by row) was a choice

# --- Placing a row's values in its columns (gxie.grid.assign) ------------------------------------------
ROW_CERTAINTY_FLOOR = 0.5  # a row's certainty runs from this (a weak label match) to 1 (an exact one)
BLANK_CELL = 0.9  # a blank may be a value the text lost, so it is a little less sure than a number
UNREADABLE_NUMBER = 0.3  # tagged as a number but no number could be parsed from it
TEXT_BEFORE_VALUES = 0.85  # a row's values on lines after a line of other text (a label the tagger did not know:
# ``行政强制 / I / 行政检查 / 0``, the 0 is 行政检查's, 行政强制's 1 was OCR'd to I): placed, not trusted
EXTRA_VALUES = 0.7  # more values than columns: the surplus was dropped, the rest may be shifted
SHORT_ROW = 0.6  # fewer values than columns, read left to right: the blanks may have been elsewhere
BLANK_ROW = 0.8  # a label standing alone in a table printed without blanks: its row taken as all blank
AMBIGUOUS_PLACEMENT = 0.6  # several placements of a row without its blanks add up; the likeliest was taken
# numbers after or before their labels: the chosen reading, breaking relations, passes at most this many more
# relations than the other; the cells the two give otherwise are guesses (gxie.grid.build._rival_doubted)
RIVAL_MARGIN = 2
NO_PLACEMENT_ADDS_UP = 0.4  # no placement of a row without its blanks adds up: read left to right

# --- Judging failed relations (gxie.validate) ----------------------------------------------------------
OCR_HOLE = 0.85  # in text an OCR engine made, a blank (or empty-marked) cell in a row whose other cells all hold
# values: likely a digit the OCR lost (or a thin 1 read as /); no relation tells a lost 0 from a blank
UNVERIFIED_IN_DAMAGED = 0.85  # a cell no passing relation checks, in a report that lost a table or rows: not
# trusted (on OCR text of the seeds, such section 二 cells read at 1.0 were wrong: 9 for 91, 64 for 2418). In text
# no OCR engine made, only in a table decoded or with a cell not found (read whole by its labels, 395 of 395 right)
CUT_ROW = 0.79  # the last row read of a table whose text stops before its end: it may stand a cell off, and a
# relation failing on it is no verdict on the report (a truncated typical report was said not to add up)
SOURCE_CONSISTENT = 0.8  # a failed relation whose cells were all read at least this surely is the source's
SOURCE_FAILURES_MAX = 3  # ...unless the report breaks more than this many so, MISREAD_ROWS of them a row's own sum
MISREAD_ROWS = 2  # (R2, R5): a table misread, cells moved within rows, not one that does not add up (typical generated
# reports: each that the source breaks, 1 or 2 such relations; a pdf_text report read a column off, 10 of them, 5
# rows, all called the report's own; a report whose column identities all fail keeps its rows' sums)
MISREAD_TABLE = 0.79  # every other cell of a table judged misread (SOURCE_FAILURES_MAX): its rows may stand a row off
# with each row adding up (a table read with its numbers before its labels, a row the numbers of the row above);
# below VOUCHED_FLOOR: no holding relation vouches for it
FAILED_RELATION = 0.7  # the cells of a relation that fails on unsure readings become this much less sure

# --- Constrained decoding (gxie.grid.decode, gxie.grid.candidates, gxie.grid.plausible) ------------------
DECODED_ANCHORED = 1.0  # a full run next to its own label
DECODED_IN_ORDER = 0.93  # a full run placed by the format's order, its stretch filled exactly, its total adding up
DECODED_UNLABELLED = 0.85  # a full run placed by order where values were left over or rows short
DECODED_SHORT_RUN = 0.6  # a short run read left to right
DECODED_BROKEN = 0.79  # a decoded cell placed by order (below TRUSTED) in a relation its reading breaks: the
# placement may be gxie's error, so it goes below SOURCE_CONSISTENT: an uncertain reading, not the report's
DECODED_SETTLED = 0.95  # every cell of a reading this sure, and its relations holding: no other reading is tried
DECODED_DOUBTFUL = 0.6  # ceiling for a cell the rival readings disagree on
DECODED_BLANK_ROW = 0.9  # a row whose label stands in a clean reading with no value: printed blank, blanks dropped
DECODED_GLUED = 0.8  # ceiling for a cell split out of a glued digit run
IMPLAUSIBLE_CONFIDENCE = 0.3  # ceiling of a flagged cell's confidence: a value beyond what its cell can hold
OCR_LOOKALIKE_SCORE = 0.85  # rules tagger: a cell read as a number only with OCR look-alikes as digits (``o`` for 0)
UNTAGGED_VALUE_SCORE = 0.97  # a number the tagger did not mark: sure of the text, less of its role

# --- Trust and the rules-first cascade (gxie.rules_first) ----------------------------------------------------
TRUSTED = 0.9  # the published rule: a cell this sure and outside every failed check may be taken without review
VOUCHED_FLOOR = 0.8  # a cell placed by the format's order (0.8-0.9) that two holding relations vouch for is raised
# to TRUSTED (gxie.validate; a blank or 0 only in a whole table that adds up): trusted coverage of converted text
# 65.9% -> 73.2%, every trusted cell still right (docs/converted_text.md); doubted cells (0.6) stay below
