"""Benchmark fixture: a GPT-2-medium-sized GPT2LMHeadModel (24 layers, 1024 wide, 16 heads, vocab 50257,
1024 positions; about 355M parameters, about 1.4 GB in float32) with seeded random weights, saved with
save_pretrained (model.safetensors) into the directory given as the first argument."""

import json
import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main() -> None:
    directory = sys.argv[1]
    if os.path.isfile(os.path.join(directory, "model.safetensors")):
        print(json.dumps({"path": directory, "reused": True}))
        return
    torch.manual_seed(0)
    config = GPT2Config(n_layer=24, n_embd=1024, n_head=16, vocab_size=50257, n_positions=1024)
    model = GPT2LMHeadModel(config).eval()
    parameters = sum(parameter.numel() for parameter in model.parameters())
    model.save_pretrained(directory)
    print(json.dumps({"path": directory, "parameters": parameters}))


if __name__ == "__main__":
    main()
