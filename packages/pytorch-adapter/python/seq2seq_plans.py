"""Export plans for encoder-decoder models (text2text-generation: T5, Marian, Bart; speech recognition:
Whisper), laid out as Hugging Face Optimum and transformers.js read them:

- `encoder_model`: the encoder's inputs (input_ids + attention_mask, or input_features) -> last_hidden_state.
- `decoder_model`: the first step. input_ids, encoder_attention_mask (text), encoder_hidden_states ->
  logits and present.{i}.decoder.key/value, present.{i}.encoder.key/value.
- `decoder_with_past_model`: the next steps. input_ids, encoder_attention_mask (text),
  past_key_values.{i}.decoder.key/value, past_key_values.{i}.encoder.key/value -> logits and
  present.{i}.decoder.key/value (the cross-attention keys/values do not change after the first step).

Names follow optimum/exporters/onnx/base.py (OnnxSeq2SeqConfigWithPast.add_past_key_values).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import torch

from bridge_errors import BridgeError
from export_plan import ExportPlan, TaskModule
from io_detection import InputSpec, SizeSet, forward_parameters, make_inputs


def _probe(module: TaskModule, specs: List[InputSpec], sizes: SizeSet, facts) -> bool:
    try:
        with torch.no_grad():
            module(*make_inputs(specs, sizes, facts, seed=0))
        return True
    except Exception:  # noqa: BLE001 - any failure means the size is not accepted
        return False


def _output_cache(output):
    for key in ("cache", "past_key_values"):
        value = output.get(key) if hasattr(output, "get") else None
        if value is not None:
            return value
    raise BridgeError("EXPORT_FAILED", "The model returned no key/value cache although use_cache=True was passed.")


def _encoder_plan(model, facts, audio: bool) -> Tuple[ExportPlan, Any, Dict[str, int]]:
    """The encoder plan, the encoder's output length dim (a symbol or a fixed int) and its sample sizes."""
    encoder = model.get_encoder()
    if audio:
        mel_bins = int(facts.get("num_mel_bins") or 80)
        frames = 2 * int(facts.get("max_source_positions") or 1500)
        specs = [InputSpec("input_features", "float32", ["batch_size", mel_bins, "encoder_sequence_length"])]
        module = TaskModule(encoder, ["input_features"], lambda inner, inputs: [inner(**inputs).last_hidden_state])
        dynamic = _probe(module, specs, SizeSet("probe", {"batch_size": 1, "encoder_sequence_length": frames + 8}), facts)
        if not dynamic:
            specs = [InputSpec("input_features", "float32", ["batch_size", mel_bins, frames])]
        with torch.no_grad():
            hidden_length = int(encoder(input_features=torch.zeros((1, mel_bins, frames))).last_hidden_state.shape[1])
        length = "encoder_sequence_length / 2" if dynamic else hidden_length
        other = frames + 16 if dynamic else frames
        plan = ExportPlan(
            "encoder_model", module, specs, ["last_hidden_state"],
            SizeSet("export", {"batch_size": 2, "encoder_sequence_length": frames}),
            [SizeSet("", {"batch_size": 1, "encoder_sequence_length": frames}),
             SizeSet("", {"batch_size": 2, "encoder_sequence_length": other})], facts)
        return plan, length, {"encoder_sequence_length / 2": hidden_length}
    specs = [InputSpec("input_ids", "int64", ["batch_size", "encoder_sequence_length"]),
             InputSpec("attention_mask", "int64", ["batch_size", "encoder_sequence_length"])]
    module = TaskModule(encoder, ["input_ids", "attention_mask"], lambda inner, inputs: [inner(**inputs).last_hidden_state])
    limit = int(facts.get("max_position_embeddings") or 512)
    plan = ExportPlan(
        "encoder_model", module, specs, ["last_hidden_state"],
        SizeSet("export", {"batch_size": 2, "encoder_sequence_length": min(6, limit)}),
        [SizeSet("", {"batch_size": 1, "encoder_sequence_length": min(7, limit)}),
         SizeSet("", {"batch_size": 3, "encoder_sequence_length": min(13, limit)}, pad_attention=True)], facts)
    return plan, "encoder_sequence_length", {}


def _cache_shapes(model, audio: bool, facts) -> List[Tuple[Tuple[int, ...], Tuple[int, ...]]]:
    """(self-attention key shape, cross-attention key shape) per decoder layer, from one cached step."""
    start = torch.zeros((1, 1), dtype=torch.long)
    with torch.no_grad():
        if audio:
            mel_bins = int(facts.get("num_mel_bins") or 80)
            frames = 2 * int(facts.get("max_source_positions") or 1500)
            output = model(input_features=torch.zeros((1, mel_bins, frames)), decoder_input_ids=start, use_cache=True)
        else:
            output = model(input_ids=torch.ones((1, 3), dtype=torch.long), decoder_input_ids=start, use_cache=True)
    cache = _output_cache(output)
    self_cache = cache.self_attention_cache
    cross_cache = cache.cross_attention_cache
    return [(tuple(self_layer.keys.shape), tuple(cross_layer.keys.shape))
            for self_layer, cross_layer in zip(self_cache.layers, cross_cache.layers)]


def seq2seq_plans(model, facts: Dict[str, Any], audio: bool) -> List[ExportPlan]:
    """encoder_model, decoder_model and decoder_with_past_model plans for an encoder-decoder model."""
    from transformers import DynamicCache, EncoderDecoderCache

    # Eager attention: the SDPA path passes `is_causal=q_length > 1` to scaled_dot_product_attention, a SymBool
    # when the decoder length is dynamic, which torch.export cannot trace.
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    parameters = forward_parameters(model)
    cache_argument = "cache" if "cache" in parameters else "past_key_values"
    encoder_plan, encoder_length, encoder_sizes = _encoder_plan(model, facts, audio)
    shapes = _cache_shapes(model, audio, facts)
    hidden_size = int(facts.get("hidden_size") or 0)
    with torch.no_grad():
        sample = make_inputs(encoder_plan.inputs, encoder_plan.export_sizes, facts, seed=0)
        hidden_size = int(encoder_plan.module(*sample)[0].shape[-1])
    layer_count = len(shapes)

    mask = [] if audio else [InputSpec("encoder_attention_mask", "int64", ["batch_size", encoder_length])]
    first_specs = [InputSpec("input_ids", "int64", ["batch_size", "decoder_sequence_length"]), *mask,
                   InputSpec("encoder_hidden_states", "float32", ["batch_size", encoder_length, hidden_size])]
    past_specs = [InputSpec("input_ids", "int64", ["batch_size", "decoder_sequence_length"]), *mask]
    present_decoder, present_encoder = [], []
    for index, (self_shape, cross_shape) in enumerate(shapes):
        for kind in ("key", "value"):
            past_specs.append(InputSpec(f"past_key_values.{index}.decoder.{kind}", "float32",
                                        ["batch_size", self_shape[1], "past_decoder_sequence_length", self_shape[3]]))
            present_decoder.append(f"present.{index}.decoder.{kind}")
        for kind in ("key", "value"):
            past_specs.append(InputSpec(f"past_key_values.{index}.encoder.{kind}", "float32",
                                        ["batch_size", cross_shape[1], encoder_length, cross_shape[3]]))
            present_encoder.append(f"present.{index}.encoder.{kind}")

    def run(inner, inputs, cache):
        arguments = {"decoder_input_ids": inputs["input_ids"], "use_cache": True, cache_argument: cache}
        if "encoder_hidden_states" in inputs:
            arguments["encoder_outputs"] = (inputs["encoder_hidden_states"],)
        else:
            # Cross-attention reads only the cached keys/values; the encoder output is a placeholder of the right shape.
            key = inputs["past_key_values.0.encoder.key"]
            arguments["encoder_outputs"] = (key.new_zeros((key.shape[0], key.shape[2], hidden_size)),)
        if "encoder_attention_mask" in inputs:
            arguments["attention_mask"] = inputs["encoder_attention_mask"]
        output = inner(**arguments)
        return output.logits, _output_cache(output)

    def first_call(inner, inputs):
        cache = EncoderDecoderCache(DynamicCache(config=inner.config), DynamicCache(config=inner.config))
        logits, present = run(inner, inputs, cache)
        flat = [logits]
        flat += [tensor for layer in present.self_attention_cache.layers for tensor in (layer.keys, layer.values)]
        flat += [tensor for layer in present.cross_attention_cache.layers for tensor in (layer.keys, layer.values)]
        return flat

    def past_call(inner, inputs):
        self_cache, cross_cache = DynamicCache(config=inner.config), DynamicCache(config=inner.config)
        for index in range(layer_count):
            self_cache.update(inputs[f"past_key_values.{index}.decoder.key"], inputs[f"past_key_values.{index}.decoder.value"], index)
            cross_cache.update(inputs[f"past_key_values.{index}.encoder.key"], inputs[f"past_key_values.{index}.encoder.value"], index)
        cache = EncoderDecoderCache(self_cache, cross_cache)
        cache.is_updated = {index: True for index in range(layer_count)}
        logits, present = run(inner, inputs, cache)
        return [logits] + [tensor for layer in present.self_attention_cache.layers for tensor in (layer.keys, layer.values)]

    first_outputs = ["logits", *present_decoder, *present_encoder]
    past_outputs = ["logits", *present_decoder]
    encoder_cases = [case.sizes.get("encoder_sequence_length") for case in encoder_plan.case_sizes]

    def sizes(batch: int, decoder: int, past: Optional[int], encoder: Optional[int]) -> Dict[str, int]:
        values = {"batch_size": batch, "decoder_sequence_length": decoder, **encoder_sizes}
        if not audio:
            values["encoder_sequence_length"] = int(encoder)
        if past is not None:
            values["past_decoder_sequence_length"] = past
        return values

    export_encoder = encoder_plan.export_sizes.sizes.get("encoder_sequence_length")
    first_plan = ExportPlan(
        "decoder_model", TaskModule(model, [spec.name for spec in first_specs], first_call), first_specs, first_outputs,
        SizeSet("export", sizes(2, 3, None, export_encoder)),
        [SizeSet("", sizes(1, 4, None, encoder_cases[0])),
         SizeSet("", sizes(3, 9, None, encoder_cases[1]), pad_attention=True)], facts,
        output_dims={"logits": {0: "batch_size", 1: "decoder_sequence_length"},
                     **{name: {0: "batch_size", 2: "decoder_sequence_length"} for name in present_decoder},
                     **{name: {0: "batch_size", 2: encoder_length} for name in present_encoder if isinstance(encoder_length, str)}})
    past_plan = ExportPlan(
        "decoder_with_past_model", TaskModule(model, [spec.name for spec in past_specs], past_call), past_specs, past_outputs,
        # A sample dim of 1 would be specialised by torch.export: the sample decodes 2 tokens.
        SizeSet("export", sizes(2, 2, 3, export_encoder)),
        [SizeSet("", sizes(1, 1, 4, encoder_cases[0])),
         SizeSet("", sizes(3, 2, 7, encoder_cases[1]), pad_attention=True)], facts,
        output_dims={"logits": {0: "batch_size", 1: "decoder_sequence_length"},
                     **{name: {0: "batch_size", 2: "past_decoder_sequence_length + decoder_sequence_length"}
                        for name in present_decoder}})
    return [encoder_plan, first_plan, past_plan]
