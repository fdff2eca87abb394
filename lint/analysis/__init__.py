"""Analyses shared by source rules: which code gets exported (scope) and the run-level index across files."""
