"""``trtlint verify``: build what the linter judged, run it beside the reference, report every divergence.

The parent side (this package minus :mod:`.child` and :mod:`.fp16`) never imports torch; the PyTorch work runs in
the graph layer's child process (:mod:`trtlint.graph.harness`).
"""
