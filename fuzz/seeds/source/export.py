import torch
import tensorrt as trt

model = Net()
torch.onnx.export(model, torch.zeros(1, 3), "m.onnx", opset_version=9, dynamic_axes={"x": {0: "b"}})
config.max_workspace_size = 1 << 30
engine = builder.build_engine(network, config)
