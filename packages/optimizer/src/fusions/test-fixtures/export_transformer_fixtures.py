"""Builds tiny random-weight transformers models (BERT, GPT-2 without past, ViT) and exports them
with torch.onnx.export, the way @gpux/pytorch-adapter does (dynamo exporter with optimize=True, or
the TorchScript exporter with constant folding), for the fusion tests and benchmarks.

Usage: python export_transformer_fixtures.py OUT_DIR [--models bert,gpt2,vit] [--exporters dynamo,torchscript]
       [--attention sdpa,eager] [--layers 2] [--hidden 64] [--heads 4] [--histogram]
Writes OUT_DIR/<model>-<exporter>-<attention>.onnx and prints one JSON line per file.
"""

from __future__ import annotations

import argparse
import collections
import json
import os

import torch


def build(kind: str, attention: str, layers: int, hidden: int, heads: int):
    import transformers

    torch.manual_seed(0)
    common = dict(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                  intermediate_size=hidden * 4, attn_implementation=attention)
    if kind == "bert":
        config = transformers.BertConfig(vocab_size=1000, max_position_embeddings=512, **common)
        model = transformers.BertModel(config, add_pooling_layer=False)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        dynamic = {0: "batch", 1: "sequence"}
    elif kind == "gpt2":
        config = transformers.GPT2Config(vocab_size=1000, n_positions=512, n_embd=hidden, n_layer=layers, n_head=heads,
                                         attn_implementation=attention, use_cache=False)
        model = transformers.GPT2Model(config)
        names = ["input_ids", "attention_mask"]
        dynamic = {0: "batch", 1: "sequence"}
    elif kind == "vit":
        config = transformers.ViTConfig(image_size=32, patch_size=8, num_channels=3, **common)
        model = transformers.ViTModel(config, add_pooling_layer=False)
        names = ["pixel_values"]
        dynamic = {0: "batch"}
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    with torch.no_grad():  # random biases and norms, so a fusion that drops one changes the outputs
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    model.eval()
    return model, names, dynamic


def sample_inputs(kind: str, names):
    if kind == "vit":
        return (torch.randn(2, 3, 32, 32),)
    ids = torch.randint(0, 1000, (2, 16))
    mask = torch.ones(2, 16, dtype=torch.int64)
    mask[1, 12:] = 0
    if kind == "bert":
        return ids, mask, torch.zeros(2, 16, dtype=torch.int64)
    return ids, mask


class Wrapper(torch.nn.Module):
    """Returns last_hidden_state only, with positional inputs in a fixed order."""

    def __init__(self, model, names):
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *args):
        kwargs = dict(zip(self.names, args))
        if "use_cache" in self.model.forward.__code__.co_varnames:
            kwargs["use_cache"] = False
        return self.model(**kwargs).last_hidden_state


def export(kind, exporter, attention, out_dir, layers, hidden, heads, opset):
    model, names, dynamic = build(kind, attention, layers, hidden, heads)
    wrapper = Wrapper(model, names).eval()
    sample = sample_inputs(kind, names)
    path = os.path.join(out_dir, f"{kind}-{exporter}-{attention}.onnx")
    with torch.no_grad():
        if exporter == "dynamo":
            shapes = tuple({axis: torch.export.Dim.DYNAMIC for axis in dynamic} for _ in names)
            program = torch.onnx.export(wrapper, sample, dynamo=True, opset_version=opset, optimize=True,
                                        dynamic_shapes=(shapes,), input_names=names,
                                        output_names=["last_hidden_state"])
            program.save(path)
            name_dynamic_dims(path, dynamic)
        else:
            torch.onnx.export(wrapper, sample, path, dynamo=False, opset_version=opset, input_names=names,
                              output_names=["last_hidden_state"], do_constant_folding=True,
                              dynamic_axes={name: dict((a, f"{d}") for a, d in dynamic.items()) for name in names})
    return path


def name_dynamic_dims(path, dynamic):
    """Names the dynamo exporter's symbolic input dims (s0, s1, ...) batch/sequence, as the adapter does."""
    import onnx

    model = onnx.load(path)
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        for axis, name in dynamic.items():
            if axis < len(dims) and not dims[axis].HasField("dim_value"):
                dims[axis].dim_param = name
    onnx.save(model, path)


def histogram(path):
    import onnx

    model = onnx.load(path, load_external_data=False)
    counts = collections.Counter(node.op_type for node in model.graph.node)
    return dict(sorted(counts.items())), [f.name for f in model.functions]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--models", default="bert,gpt2,vit")
    parser.add_argument("--exporters", default="dynamo,torchscript")
    parser.add_argument("--attention", default="sdpa,eager")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument("--histogram", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for kind in args.models.split(","):
        for exporter in args.exporters.split(","):
            for attention in args.attention.split(","):
                path = export(kind, exporter, attention, args.out_dir, args.layers, args.hidden, args.heads, args.opset)
                record = {"model": kind, "exporter": exporter, "attention": attention, "path": path}
                if args.histogram:
                    record["ops"], record["functions"] = histogram(path)
                print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
