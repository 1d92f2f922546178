"""Text stages before tagging: normalization with an offset map (``normalize``) and table-cell
segmentation of lines (``cells``)."""
