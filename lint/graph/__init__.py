"""Graph mode: import the user's model factory in a child process, run and export it, report what only a run shows.

The parent side (this package's ``spec``, ``harness``, ``config``, ``command``) never imports torch; the child side
(``child``, ``load``, ``observe``) runs in ``python -m trtlint.graph.child``.
"""
