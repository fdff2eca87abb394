"""Source rules: one rule a file."""
