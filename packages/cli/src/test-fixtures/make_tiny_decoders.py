"""Builds a tiny, briefly trained decoder LLM for the CLI's decoder-with-past tests.

Usage: python make_tiny_decoders.py <kind> <directory>, kind one of:
- qwen2: Qwen2ForCausalLM (hidden 32, 2 layers, 4 heads, 2 key/value heads: grouped-query attention,
  rotary embeddings).
- gpt-neox: GPTNeoXForCausalLM (hidden 32, 2 layers, 4 heads, partial rotary embeddings).

A random-weight model has next-token logits so close together that int8 rounding flips its greedy
choices, which a real LLM's confident predictions would survive. So the model is trained on CPU for
a few seconds on a rule over the vocabulary: the next token is PERMUTATION[token two positions back].
Following it needs attention to the previous position (through the KV cache once generating), not
only the current token. The script fails if the trained model's greedy continuation of the prompt
does not follow the rule.

reference.json holds the prompt's token ids, the 5 tokens PyTorch's greedy `generate` appends, and
the top-1 minus top-2 logit margin at each of those 5 steps before and after training.
"""

import json
import os
import sys

import torch

PROMPT = [5, 17, 41, 9, 63, 2]
VOCABULARY = 100
TRAINING_STEPS = 400
BATCH, LENGTH = 32, 20


def qwen2():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         vocab_size=VOCABULARY, max_position_embeddings=128, tie_word_embeddings=False, initializer_range=0.3)
    return Qwen2ForCausalLM(config)


def gpt_neox():
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    config = GPTNeoXConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, vocab_size=VOCABULARY,
                           max_position_embeddings=128, rotary_pct=0.5, initializer_range=0.2)
    return GPTNeoXForCausalLM(config)


def greedy(model):
    """PyTorch's 5 greedy tokens after PROMPT and, per step, the top-1 minus top-2 logit."""
    model.eval()
    with torch.no_grad():
        # eos_token_id=None: exactly 5 new tokens, whatever they are.
        result = model.generate(torch.tensor([PROMPT]), max_new_tokens=5, min_new_tokens=5, do_sample=False, eos_token_id=None,
                                pad_token_id=0, output_logits=True, return_dict_in_generate=True)
    margins = []
    for logits in result.logits:
        top = torch.topk(logits[0].float(), 2).values
        margins.append(round(float(top[0] - top[1]), 4))
    return result.sequences[0].tolist()[len(PROMPT):], margins


def train(model, permutation, generator):
    """Adam on sequences of a random prefix (1-8 tokens) followed by the rule; loss on the rule's tokens only."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(TRAINING_STEPS):
        prefix = int(torch.randint(1, 9, (1,), generator=generator))
        batch = torch.randint(0, VOCABULARY, (BATCH, LENGTH), generator=generator)
        for position in range(max(prefix, 2), LENGTH):
            batch[:, position] = permutation[batch[:, position - 2]]
        labels = batch.clone()
        labels[:, :max(prefix, 2)] = -100
        loss = model(input_ids=batch, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


def rule_continuation(permutation):
    sequence = list(PROMPT)
    for _ in range(5):
        sequence.append(int(permutation[sequence[-2]]))
    return sequence[len(PROMPT):]


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    kind, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    model = {"qwen2": qwen2, "gpt-neox": gpt_neox}[kind]()
    data = torch.Generator().manual_seed(1)
    permutation = torch.randperm(VOCABULARY, generator=data)
    _, margins_before = greedy(model)
    final_loss = train(model, permutation, data)
    generated, margins_after = greedy(model)
    expected = rule_continuation(permutation)
    if generated != expected:
        sys.exit(f"the trained {kind} generates {generated}, not the rule's {expected} (final loss {final_loss:.4f})")
    model.save_pretrained(target, safe_serialization=True)
    with open(os.path.join(target, "reference.json"), "w", encoding="utf-8") as handle:
        json.dump({"prompt": PROMPT, "generated": generated, "margins": {"untrained": margins_before, "trained": margins_after},
                   "finalLoss": round(final_loss, 4)}, handle)
