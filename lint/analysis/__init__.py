"""Analyses shared by source rules: which code gets exported (scope) and the run-level index across files."""

# text that an exporter call needs (``torch.onnx.export``, ``torch.jit.trace``/``script``, ``torch.export.export``,
# ``torch_tensorrt.compile``, ``torch.onnx.dynamo_export``): files without any are never parsed for export roots
EXPORT_MARKERS = ("onnx.export", "jit.trace", "jit.script", "export(", "torch_tensorrt", "dynamo_export")
