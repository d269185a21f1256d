"""Test fixture for the real-client tests (GPUX runtime, transformers.js): tiny seeded random-weight
models laid out as Hugging Face folders, with PyTorch's own outputs for fixed inputs.

Usage: python make_client_models.py <kind> <directory>, kind one of:
- bert-embeddings: BertModel + WordPiece tokenizer.json; reference.json holds sentences and
  PyTorch's attention-masked mean-pooled, L2-normalised embeddings of them.
- gpt2: GPT2LMHeadModel + generation_config.json; reference.json holds a prompt's token ids and
  the 10 tokens PyTorch's greedy `generate` appends.
- vit: ViTForImageClassification (32x32, 4 labels) + preprocessor_config.json; writes image.png
  and reference.json with PyTorch's logits and top-1 label for it.
"""

import json
import os
import sys

import torch

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
SENTENCES = ["w1 w2 w3 w4", "w10 w20 w30 w40 w50 w60", "w7"]


def _tokenizer(directory):
    from transformers import BertTokenizer

    vocab_file = os.path.join(directory, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as handle:
        handle.write("\n".join(SPECIAL + [f"w{index}" for index in range(96 - len(SPECIAL))]) + "\n")
    tokenizer = BertTokenizer(vocab_file, model_max_length=64)
    tokenizer.save_pretrained(directory)
    return tokenizer


def _write(directory, name, value):
    with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1)


def bert_embeddings(directory):
    from transformers import BertConfig, BertModel

    tokenizer = _tokenizer(directory)
    config = BertConfig(vocab_size=96, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                        max_position_embeddings=64)
    model = BertModel(config).eval()
    model.save_pretrained(directory, safe_serialization=True)
    embeddings = []
    with torch.no_grad():
        for sentence in SENTENCES:
            encoded = tokenizer(sentence, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            embeddings.append(torch.nn.functional.normalize(pooled, dim=-1)[0].tolist())
    _write(directory, "reference.json", {"sentences": SENTENCES, "embeddings": embeddings})


def gpt2(directory):
    from transformers import GPT2Config, GPT2LMHeadModel, GenerationConfig

    _tokenizer(directory)
    config = GPT2Config(vocab_size=96, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=2, eos_token_id=3, initializer_range=0.6,
                        pad_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(directory, safe_serialization=True)
    GenerationConfig(bos_token_id=2, eos_token_id=3, pad_token_id=0).save_pretrained(directory)
    prompt = [2, 17, 41, 9, 63]
    with torch.no_grad():
        # eos_token_id=None: exactly 10 new tokens, whatever they are.
        generated = model.generate(torch.tensor([prompt]), max_new_tokens=10, min_new_tokens=10, do_sample=False,
                                   eos_token_id=None, pad_token_id=0)
    _write(directory, "reference.json", {"prompt": prompt, "generated": generated[0].tolist()[len(prompt):]})


def vit(directory):
    import numpy
    from PIL import Image
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    labels = ["cat", "dog", "bird", "fish"]
    config = ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, num_labels=4, id2label=dict(enumerate(labels)),
                       label2id={label: index for index, label in enumerate(labels)})
    model = ViTForImageClassification(config).eval()
    model.save_pretrained(directory, safe_serialization=True)
    processor = ViTImageProcessor(size={"height": 32, "width": 32}, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor.save_pretrained(directory)
    pixels = numpy.random.default_rng(3).integers(0, 256, size=(32, 32, 3), dtype=numpy.uint8)
    image = Image.fromarray(pixels, "RGB")
    image.save(os.path.join(directory, "image.png"))
    with torch.no_grad():
        inputs = processor(images=image, return_tensors="pt")
        logits = model(**inputs).logits[0]
    _write(directory, "reference.json", {"image": "image.png", "logits": logits.tolist(), "label": labels[int(logits.argmax())],
                                         "pixel_values": inputs["pixel_values"][0].tolist()})


if __name__ == "__main__":
    torch.manual_seed(0)
    kind, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    {"bert-embeddings": bert_embeddings, "gpt2": gpt2, "vit": vit}[kind](target)
