"""Test fixture: a tiny, seeded, random-weight BERT text classifier with a WordPiece tokenizer.

Usage: python make_tiny_bert.py <directory>. Writes config.json (3 labels with id2label),
model.safetensors, vocab.txt and the tokenizer configs with save_pretrained.
"""

import os
import sys

import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer


def main(directory):
    torch.manual_seed(0)
    os.makedirs(directory, exist_ok=True)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = [f"w{index}" for index in range(96 - len(special))]
    vocab_file = os.path.join(directory, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as handle:
        handle.write("\n".join(special + words) + "\n")
    BertTokenizer(vocab_file, model_max_length=64).save_pretrained(directory)
    config = BertConfig(vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64, num_labels=3,
                        id2label={0: "negative", 1: "neutral", 2: "positive"},
                        label2id={"negative": 0, "neutral": 1, "positive": 2})
    BertForSequenceClassification(config).eval().save_pretrained(directory, safe_serialization=True)


if __name__ == "__main__":
    main(sys.argv[1])
