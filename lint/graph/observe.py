"""Child side: the graph lint task. Loads the model and collects raw observations; rules turn them into findings."""
from __future__ import annotations

from typing import Any

from .child import Emit
from .spec import GraphSpec


def run(spec: GraphSpec, emit: Emit, extra: dict[str, Any]) -> None:
    import torch

    from .load import bind, load_model, make_inputs

    emit("progress", message=f"importing {spec.entry.text}")
    model = load_model(spec)
    emit("progress", message="running eager")
    args, kwargs = bind(model, make_inputs(spec, "opt"))
    with torch.no_grad():
        model(*args, **kwargs)
