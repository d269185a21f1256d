"""Builds a tiny random-weight decoder LLM for the CLI's decoder-with-past tests.

Usage: python make_tiny_decoders.py <kind> <directory>, kind one of:
- qwen2: Qwen2ForCausalLM (hidden 32, 2 layers, 4 heads, 2 key/value heads: grouped-query attention,
  rotary embeddings).
- gpt-neox: GPTNeoXForCausalLM (hidden 32, 2 layers, 4 heads, partial rotary embeddings).
reference.json holds a prompt's token ids and the 5 tokens PyTorch's greedy `generate` appends.
"""

import json
import os
import sys

import torch

PROMPT = [5, 17, 41, 9, 63, 2]


def qwen2():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         vocab_size=100, max_position_embeddings=128, tie_word_embeddings=False, initializer_range=0.3)
    return Qwen2ForCausalLM(config)


def gpt_neox():
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    config = GPTNeoXConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, vocab_size=100,
                           max_position_embeddings=128, rotary_pct=0.5, initializer_range=0.2)
    return GPTNeoXForCausalLM(config)


if __name__ == "__main__":
    torch.manual_seed(0)
    kind, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    model = {"qwen2": qwen2, "gpt-neox": gpt_neox}[kind]().eval()
    model.save_pretrained(target, safe_serialization=True)
    with torch.no_grad():
        # eos_token_id=None: exactly 5 new tokens, whatever they are.
        generated = model.generate(torch.tensor([PROMPT]), max_new_tokens=5, min_new_tokens=5, do_sample=False, eos_token_id=None, pad_token_id=0)
    with open(os.path.join(target, "reference.json"), "w", encoding="utf-8") as handle:
        json.dump({"prompt": PROMPT, "generated": generated[0].tolist()[len(PROMPT):]}, handle)
