"""Analyses shared by source rules: which code gets exported (scope) and the run-level index across files."""

# text that an exporter call needs (``torch.onnx.export``, ``torch.jit.trace``/``script``, ``torch.export.export``,
# ``torch_tensorrt.compile``, ``torch.onnx.dynamo_export``): files without any are never parsed for export roots
EXPORT_MARKERS = ("onnx.export", "jit.trace", "jit.script", "export(", "torch_tensorrt", "dynamo_export", "torch2trt")

# The exporter calls, the one table of them (qualified name -> label): what they are called on is an export root
# (index.py), and TRT106 checks that it is in eval mode. ``torch.export`` itself is a package, not a callable;
# ``torch.onnx.dynamo_export`` is gone from torch 2.9 on but still in code written for earlier releases;
# ``torch2trt`` runs the model on its example inputs and converts the layers that run.
EXPORTERS = {
    "torch.onnx.export": "torch.onnx.export",
    "torch.onnx.dynamo_export": "torch.onnx.dynamo_export",
    "torch.jit.trace": "torch.jit.trace",
    "torch.jit.trace_module": "torch.jit.trace_module",
    "torch.jit.script": "torch.jit.script",
    "torch.export.export": "torch.export.export",
    "torch_tensorrt.compile": "torch_tensorrt.compile",
    "torch_tensorrt.dynamo.compile": "torch_tensorrt.dynamo.compile",
    "torch_tensorrt.ts.compile": "torch_tensorrt.ts.compile",
    "torch2trt.torch2trt": "torch2trt",
}
# exporters whose input was exported already (an ``ExportedProgram``, a ``ScriptModule``): its training or eval
# mode was fixed by the call that made it (https://pytorch.org/TensorRT/py_api/dynamo.html, .../py_api/ts.html)
TAKES_EXPORTED = frozenset({"torch_tensorrt.dynamo.compile", "torch_tensorrt.ts.compile"})
