"""Verify-stage rules (TRT501-TRT539): one rule a file. The verify run produces records; these turn them into findings."""
