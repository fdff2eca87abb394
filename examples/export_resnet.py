"""A typical export script with the mistakes trtlint exists to catch. Lint it:  trtlint examples/export_resnet.py"""
import tensorrt as trt
import torch
import torch.nn as nn
import torchvision


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        self.threshold = 0.5

    def forward(self, x):
        logits = self.backbone(x)
        if logits.softmax(-1).max() < self.threshold:  # frozen by tracing
            return torch.zeros_like(logits)
        scale = logits.abs().max().item()  # host sync, constant after tracing
        return logits / scale


def export(path: str = "classifier.onnx") -> None:
    model = Classifier()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(
        model, x, path,
        input_names=["images"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=20,
    )


def build(onnx_path: str = "classifier.onnx") -> None:
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH))
    parser = trt.OnnxParser(network, logger)
    parser.parse_from_file(onnx_path)
    config = builder.create_builder_config()
    config.max_workspace_size = 1 << 30
    engine = builder.build_engine(network, config)
    context = engine.create_execution_context()
    return context
