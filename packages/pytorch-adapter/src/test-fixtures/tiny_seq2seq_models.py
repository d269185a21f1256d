"""Test fixture builders (used by make_tiny_models.py): tiny random-weight encoder-decoder text models
(T5, Marian, Bart) with the 10 tokens PyTorch's greedy `generate` gives for a fixed prompt."""

import torch

from make_tiny_models import _save as save

PROMPT = [5, 17, 42, 8, 23, 11]
SEQ2SEQ = dict(vocab_size=96, d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
               decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
               tie_word_embeddings=False, forced_eos_token_id=None)


def _with_greedy_tokens(model, directory):
    """Saves the model and records PyTorch's 10 greedy tokens (no logits processors; eos is out of reach)."""
    model = model.eval()
    result = save(model, directory)
    with torch.no_grad():
        generated = model.generate(input_ids=torch.tensor([PROMPT]), attention_mask=torch.ones((1, len(PROMPT)), dtype=torch.long),
                                   max_new_tokens=10, min_new_tokens=0, do_sample=False, num_beams=1, bad_words_ids=None,
                                   forced_bos_token_id=None, forced_eos_token_id=None, eos_token_id=None)
    tokens = [int(token) for token in generated[0]]
    start = int(model.config.decoder_start_token_id)
    assert tokens[0] == start and len(tokens) == 11, tokens
    result.update({"prompt": PROMPT, "decoderStartTokenId": start, "greedyTokens": tokens[1:]})
    return result


def t5(directory):
    from transformers import T5Config, T5ForConditionalGeneration

    config = T5Config(vocab_size=96, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2,
                      relative_attention_num_buckets=8, relative_attention_max_distance=16, decoder_start_token_id=0,
                      pad_token_id=0, eos_token_id=1)
    model = T5ForConditionalGeneration(config)
    # T5's own initialisation makes a tiny model repeat one token; unit-variance weights make its greedy tokens vary.
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() >= 2:
                parameter.normal_(0, 1.0)
    return _with_greedy_tokens(model, directory)


def marian(directory):
    from transformers import MarianConfig, MarianMTModel

    config = MarianConfig(**SEQ2SEQ, init_std=0.15, pad_token_id=95, decoder_start_token_id=95, eos_token_id=0)
    return _with_greedy_tokens(MarianMTModel(config), directory)


def bart_generation(directory):
    from transformers import BartConfig, BartForConditionalGeneration

    config = BartConfig(**SEQ2SEQ, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)
    return _with_greedy_tokens(BartForConditionalGeneration(config), directory)


SEQ2SEQ_BUILDERS = {"t5": t5, "marian": marian, "bart-generation": bart_generation}
