"""Hugging Face transformers models: config checks, task choice, safe weight loading, and the export
plans (one per ONNX file) for each task."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import torch

from bridge_errors import BridgeError, invalid_model_file_error, looks_like_corrupt_weights
from export_plan import ExportPlan, TaskModule
from io_detection import InputSpec, SizeSet, detect_modality, forward_parameters, model_facts
from preflight import INPUT_SPEC_HINT, check_custom_code, read_config
from heads import check_loaded_head, infer_task, unsupported_head_error
from tasks import AUTO_CLASS_BY_TASK, CTC_AUTO_CLASS, SUPPORTED_TASKS, output_names_for_task

def _auto_class(name: str):
    import transformers

    return getattr(transformers, name)


def supported_tasks(config) -> List[str]:
    """Tasks whose transformers Auto class has a model for this config class."""
    tasks = []
    for task, class_name in AUTO_CLASS_BY_TASK.items():
        names = [class_name, CTC_AUTO_CLASS] if task == "automatic-speech-recognition" else [class_name]
        if any(type(config) in _auto_class(name)._model_mapping for name in names):
            tasks.append(task)
    return tasks


def load_config(model_directory: str, trust_remote_code: bool):
    raw = read_config(model_directory)
    check_custom_code(model_directory, raw, trust_remote_code)
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model_directory, trust_remote_code=trust_remote_code), raw
    except (ValueError, KeyError) as error:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"transformers does not know model_type {raw.get('model_type')!r} of {model_directory}: {error}. "
            f"Tasks this adapter exports: {', '.join(SUPPORTED_TASKS)}. {INPUT_SPEC_HINT}",
            {"modelType": raw.get("model_type"), "supportedTasks": SUPPORTED_TASKS},
        ) from error


def choose_task(config, requested: Optional[str]) -> str:
    """The requested task, else the one whose Auto class builds the `architectures` head (heads.py);
    feature-extraction only when config.json names no architecture."""
    possible = supported_tasks(config)
    architecture = (getattr(config, "architectures", None) or [None])[0]
    task = requested or infer_task(config, possible)[0]
    if task == "text-classification" and task not in possible and "audio-classification" in possible:
        task = "audio-classification"
    if task is None and "feature-extraction" in possible:
        task = "feature-extraction"
    if task not in possible:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"Cannot export {architecture or getattr(config, 'model_type', 'this model')} for task {task!r}. "
            f"Tasks this architecture supports here: {', '.join(possible) or 'none'}. Pass one of them as task, "
            f"or: {INPUT_SPEC_HINT}",
            {"task": task, "architecture": architecture, "supportedTasks": possible},
        )
    if task == "text2text-generation" and not getattr(config, "is_encoder_decoder", False):
        # AutoModelForSeq2SeqLM also lists audio LMs (AudioFlamingo3): their text path alone would drop the audio.
        raise unsupported_head_error(architecture or str(getattr(config, "model_type", None)), "AutoModelForSeq2SeqLM", possible,
                                     "the config is not an encoder-decoder (is_encoder_decoder is false), and exporting "
                                     "its text decoder alone would drop its other inputs.")
    return task


def load_model(model_directory: str, config, task: str, trust_remote_code: bool):
    names = [AUTO_CLASS_BY_TASK[task]]
    if task == "automatic-speech-recognition":
        names = [CTC_AUTO_CLASS, names[0]] if type(config) in _auto_class(CTC_AUTO_CLASS)._model_mapping else names
    try:
        model = _auto_class(names[0]).from_pretrained(
            model_directory,
            config=config,
            dtype=torch.float32,
            trust_remote_code=trust_remote_code,
            weights_only=True,
            low_cpu_mem_usage=True,
        )
    except BaseException as error:  # noqa: BLE001 - classified below, re-raised otherwise
        if looks_like_corrupt_weights(error):
            raise invalid_model_file_error(model_directory, error) from error
        raise
    return model.eval()


def check_head(model, config, task: str, requested: Optional[str]) -> None:
    """When the task was inferred, the loaded class must be the head config.json names (never the backbone
    in its place); an explicit task (`feature-extraction` for the backbone) is taken as asked."""
    if not requested:
        check_loaded_head(model, (getattr(config, "architectures", None) or [None])[0], task, supported_tasks(config))


def _text_size_sets(facts: Dict[str, Any], with_past: bool, choices: bool = False) -> Tuple[SizeSet, List[SizeSet]]:
    limit = int(facts.get("max_position_embeddings") or 512) - 2
    def fit(sequence: int, past: int, num_choices: int) -> Dict[str, int]:
        sequence = max(2, min(sequence, limit - past))
        sizes = {"sequence_length": sequence}
        if with_past:
            sizes["past_sequence_length"] = past
        if choices:
            sizes["num_choices"] = num_choices
        return sizes
    export = SizeSet("export", {"batch_size": 2, **fit(5, 3, 3)})
    cases = [
        SizeSet("", {"batch_size": 1, **fit(7, 2, 2)}),
        SizeSet("", {"batch_size": 3, **fit(16, 5, 4)}, pad_attention=True),
    ]
    return export, cases


def _probe(module: TaskModule, specs: List[InputSpec], sizes: SizeSet, facts) -> bool:
    from io_detection import make_inputs

    try:
        with torch.no_grad():
            module(*make_inputs(specs, sizes, facts, seed=0))
        return True
    except Exception:  # noqa: BLE001 - any failure means the size is not accepted
        return False


def _standard_call(output_names: List[str], extra: Dict[str, Any]):
    def call(model, inputs):
        output = model(**inputs, **extra)
        return [output[name] for name in output_names]
    return call


def build_plans(model, task: str, facts: Dict[str, Any]) -> List[ExportPlan]:
    parameters = forward_parameters(model)
    modality = detect_modality(parameters)
    if task in ("automatic-speech-recognition", "text2text-generation") and "decoder_input_ids" in parameters:
        from seq2seq_plans import seq2seq_plans

        return seq2seq_plans(model, facts, audio=modality == "audio-features")
    if task == "text2text-generation":
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"{type(model).__name__} has no decoder_input_ids in its forward ({', '.join(parameters)}), so it cannot be "
            f"exported as encoder_model + decoder_model + decoder_with_past_model. {INPUT_SPEC_HINT}",
            {"task": task, "forwardParameters": parameters},
        )
    if task == "text-generation-with-past":
        return [_with_past_plan(model, facts, parameters)]
    if "input_ids" in parameters and "pixel_values" in parameters and task in ("feature-extraction", "zero-shot-image-classification"):
        from text_image_plans import text_image_plan

        return [text_image_plan(model, facts, parameters)]
    outputs = output_names_for_task(task)
    extra = {"use_cache": False} if "use_cache" in parameters else {}
    if modality == "text":
        wanted = ("input_ids", "attention_mask") if task == "text-generation" else ("input_ids", "attention_mask", "token_type_ids")
        names = [name for name in wanted if name in parameters]
        # Multiple choice scores every choice of a batch row: [batch, num_choices, sequence] in, [batch, num_choices] out.
        choices = task == "multiple-choice"
        dims = ["batch_size", "num_choices", "sequence_length"] if choices else ["batch_size", "sequence_length"]
        specs = [InputSpec(name, "int64", dims) for name in names]
        export, cases = _text_size_sets(facts, with_past=False, choices=choices)
        return [ExportPlan("model", TaskModule(model, names, _standard_call(outputs, extra)), specs, outputs, export, cases, facts)]
    if modality == "vision":
        size = int(facts.get("image_size") or 224)
        channels = int(facts.get("num_channels") or 3)
        spec = InputSpec("pixel_values", "float32", ["batch_size", channels, "height", "width"])
        module = TaskModule(model, ["pixel_values"], _standard_call(outputs, extra))
        other = size + 32
        dynamic = _probe(module, [spec], SizeSet("probe", {"batch_size": 1, "height": other, "width": other}), facts)
        notes = []
        if dynamic:
            from io_detection import make_inputs
            from spatial_probe import exported_graph_accepts

            sample, larger = (make_inputs([spec], SizeSet("probe", {"batch_size": 2, "height": side, "width": side}), facts, seed=0)[0]
                              for side in (size, other))
            dynamic, why = exported_graph_accepts(module, sample, larger)
            if not dynamic:
                notes.append(f"model: height and width are fixed at the config's image size {size}x{size}: PyTorch runs "
                             f"{type(model).__name__} at {other}x{other}, but the graph torch.export traces at {size}x{size} "
                             f"does not ({why}).")
        if not dynamic:
            spec = InputSpec("pixel_values", "float32", ["batch_size", channels, size, size])
            other = size
        export = SizeSet("export", {"batch_size": 2, "height": size, "width": size})
        cases = [SizeSet("", {"batch_size": 1, "height": size, "width": size}),
                 SizeSet("", {"batch_size": 2, "height": other, "width": other})]
        return [ExportPlan("model", module, [spec], outputs, export, cases, facts, notes=notes)]
    if modality == "audio-waveform":
        spec = InputSpec("input_values", "float32", ["batch_size", "sequence_length"])
        module = TaskModule(model, ["input_values"], _standard_call(outputs, extra))
        export = SizeSet("export", {"batch_size": 2, "sequence_length": 2000})
        cases = [SizeSet("", {"batch_size": 1, "sequence_length": 1600}),
                 SizeSet("", {"batch_size": 2, "sequence_length": 2720})]
        # CTC logits have one row per audio frame: a short name instead of the conv-length formula.
        output_dims = {"logits": {0: "batch_size", 1: "num_frames"}} if task == "automatic-speech-recognition" else {}
        return [ExportPlan("model", module, [spec], outputs, export, cases, facts, output_dims=output_dims)]
    raise BridgeError(
        "UNSUPPORTED_ARCHITECTURE",
        f"Cannot tell the inputs of {type(model).__name__} for task {task!r} from its forward signature "
        f"({', '.join(parameters)}). {INPUT_SPEC_HINT}",
        {"task": task, "forwardParameters": parameters},
    )


def _with_past_plan(model, facts, parameters: List[str]) -> ExportPlan:
    from transformers import DynamicCache

    cache_argument = "cache" if "cache" in parameters else "past_key_values"
    with torch.no_grad():
        probe = model(input_ids=torch.zeros((1, 2), dtype=torch.long), use_cache=True)
    cache = _output_cache(probe)
    layer_shapes = [(tuple(layer.keys.shape), tuple(layer.values.shape)) for layer in cache.layers]
    specs = [
        InputSpec("input_ids", "int64", ["batch_size", "sequence_length"]),
        InputSpec("attention_mask", "int64", ["batch_size", "past_sequence_length + sequence_length"]),
    ]
    outputs = ["logits"]
    for index, (key_shape, value_shape) in enumerate(layer_shapes):
        for kind, shape in (("key", key_shape), ("value", value_shape)):
            specs.append(InputSpec(f"past_key_values.{index}.{kind}", "float32",
                                   ["batch_size", shape[1], "past_sequence_length", shape[3]]))
            outputs.append(f"present.{index}.{kind}")
    layer_count = len(layer_shapes)

    def call(inner, inputs):
        past = DynamicCache(config=inner.config)
        for index in range(layer_count):
            past.update(inputs[f"past_key_values.{index}.key"], inputs[f"past_key_values.{index}.value"], index)
        output = inner(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                       use_cache=True, **{cache_argument: past})
        present = _output_cache(output)
        flat = [output["logits"]]
        for layer in present.layers:
            flat += [layer.keys, layer.values]
        return flat

    export, cases = _text_size_sets(facts, with_past=True)
    module = TaskModule(model, [spec.name for spec in specs], call)
    # Optimum's names (optimum/exporters/onnx/base.py, OnnxConfigWithPast.add_past_key_values).
    output_dims = {"logits": {0: "batch_size", 1: "sequence_length"}}
    output_dims.update({name: {0: "batch_size", 2: "past_sequence_length + sequence_length"} for name in outputs[1:]})
    return ExportPlan("model", module, specs, outputs, export, cases, facts, output_dims=output_dims)


def _output_cache(output):
    for key in ("cache", "past_key_values"):
        value = output.get(key) if hasattr(output, "get") else None
        if value is not None:
            return value
    raise BridgeError("EXPORT_FAILED", "The model returned no key/value cache although use_cache=True was passed.")


def model_config_for_yaml(facts: Dict[str, Any]) -> Dict[str, Any]:
    keep = ("model_type", "architectures", "id2label", "max_position_embeddings", "vocab_size", "image_size",
            "num_channels", "sampling_rate", "num_mel_bins", "hidden_size", "preprocessing_files")
    return {key: facts[key] for key in keep if key in facts}


def hf_model_facts(config, model_directory: str) -> Dict[str, Any]:
    return model_facts(config, model_directory)
