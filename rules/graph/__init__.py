"""Graph rules: one rule a file."""
