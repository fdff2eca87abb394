"""Onnx rules: one rule a file."""
