"""Tool rules: one rule a file."""
