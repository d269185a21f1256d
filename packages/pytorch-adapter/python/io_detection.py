"""Input and output detection: which inputs a model takes (from its forward signature), their dtypes
and symbolic dims, the sizes used for export and validation inputs (from config.json and the
preprocessing configs), and the tensors generated for them.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import torch

Dim = Union[int, str]

TORCH_DTYPES = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float64": torch.float64,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}
DTYPE_NAMES = {value: key for key, value in TORCH_DTYPES.items()}


@dataclass
class InputSpec:
    """One model input: its name, dtype name and dims (a string dim is dynamic)."""

    name: str
    dtype: str
    dims: List[Dim]

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.dims)}


@dataclass
class SizeSet:
    """Concrete values of the symbolic dims for one set of inputs, plus value hints."""

    label: str
    sizes: Dict[str, int]
    pad_attention: bool = False
    extra: Dict[str, Any] = field(default_factory=dict)


def forward_parameters(module: torch.nn.Module) -> List[str]:
    """Names of the parameters of `module.forward`, without *args/**kwargs."""
    try:
        signature = inspect.signature(module.forward)
    except (TypeError, ValueError):
        return []
    return [
        name
        for name, parameter in signature.parameters.items()
        if parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def detect_modality(parameters: List[str]) -> Optional[str]:
    """text, vision, audio-waveform or audio-features, from the names the forward takes."""
    if "input_features" in parameters:
        return "audio-features"
    if "input_values" in parameters:
        return "audio-waveform"
    if "pixel_values" in parameters:
        return "vision"
    if "input_ids" in parameters:
        return "text"
    return None


def read_json(path: str) -> Dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            value = json.load(handle)
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _image_size(config, preprocessor: Dict[str, Any]) -> Optional[int]:
    # Multimodal configs (CLIP, BLIP) keep it in vision_config.
    size = _first(getattr(config, "image_size", None), getattr(getattr(config, "vision_config", None), "image_size", None))
    if isinstance(size, (list, tuple)):
        size = size[0]
    if size is None:
        crop = preprocessor.get("crop_size")
        resize = preprocessor.get("size")
        for candidate in (crop, resize):
            if isinstance(candidate, dict):
                candidate = _first(candidate.get("height"), candidate.get("shortest_edge"))
            if isinstance(candidate, int):
                size = candidate
                break
    return int(size) if size is not None else None


def model_facts(config, model_directory: Optional[str]) -> Dict[str, Any]:
    """Facts from config.json and the preprocessing configs, for validation inputs and gpux.yml."""
    preprocessor = read_json(os.path.join(model_directory, "preprocessor_config.json")) if model_directory else {}
    text_config = getattr(config, "get_text_config", lambda: config)()
    facts: Dict[str, Any] = {
        "model_type": getattr(config, "model_type", None),
        "architectures": getattr(config, "architectures", None),
        "vocab_size": getattr(text_config, "vocab_size", None),
        "max_position_embeddings": _first(
            getattr(text_config, "max_position_embeddings", None), getattr(text_config, "n_positions", None)
        ),
        "type_vocab_size": getattr(text_config, "type_vocab_size", None),
        "pad_token_id": getattr(text_config, "pad_token_id", None),
        "image_size": _image_size(config, preprocessor),
        "num_channels": _first(getattr(config, "num_channels", None),
                               getattr(getattr(config, "vision_config", None), "num_channels", None)),
        "num_mel_bins": _first(getattr(config, "num_mel_bins", None), preprocessor.get("feature_size")),
        "sampling_rate": preprocessor.get("sampling_rate"),
        "max_source_positions": getattr(config, "max_source_positions", None),
        "hidden_size": _first(getattr(text_config, "hidden_size", None), getattr(config, "d_model", None)),
    }
    id2label = getattr(config, "id2label", None)
    if id2label and getattr(config, "num_labels", 0) and not _default_labels(id2label):
        facts["id2label"] = {str(key): value for key, value in id2label.items()}
    if model_directory:
        present = [
            name
            for name in (
                "tokenizer.json",
                "tokenizer_config.json",
                "vocab.txt",
                "vocab.json",
                "merges.txt",
                "special_tokens_map.json",
                "sentencepiece.bpe.model",
                "spiece.model",
                "preprocessor_config.json",
                "generation_config.json",
            )
            if os.path.isfile(os.path.join(model_directory, name))
        ]
        facts["preprocessing_files"] = present
    return {key: value for key, value in facts.items() if value is not None}


def _default_labels(id2label: Dict[Any, Any]) -> bool:
    return all(str(value) == f"LABEL_{key}" for key, value in id2label.items())


def _evaluate_dim(dim: Dim, sizes: Dict[str, int]) -> int:
    if isinstance(dim, int):
        return dim
    if dim in sizes:
        return int(sizes[dim])
    if " + " in dim:
        return sum(_evaluate_dim(part.strip(), sizes) for part in dim.split(" + "))
    raise KeyError(f"No size for the dynamic dim '{dim}'. Give it a value in adapterOptions.dimSizes.")


def make_tensor(spec: InputSpec, size_set: SizeSet, facts: Dict[str, Any], generator: torch.Generator) -> torch.Tensor:
    """A tensor for `spec` at the sizes of `size_set`, with values the model accepts."""
    shape = [_evaluate_dim(dim, size_set.sizes) for dim in spec.dims]
    dtype = TORCH_DTYPES[spec.dtype]
    name = spec.name
    if name == "attention_mask" or name.endswith("attention_mask"):
        mask = torch.ones(shape, dtype=dtype)
        if size_set.pad_attention and len(shape) >= 2 and shape[0] > 1 and shape[-1] > 2:
            mask[0, ..., shape[-1] - max(1, shape[-1] // 4):] = 0
        return mask
    if name == "token_type_ids":
        high = max(1, int(facts.get("type_vocab_size") or 1))
        return torch.randint(0, high, shape, generator=generator, dtype=dtype)
    if name == "position_ids":
        return torch.arange(shape[-1], dtype=dtype).expand(shape).contiguous()
    if name.endswith("input_ids"):
        high = int(facts.get("vocab_size") or 100)
        return torch.randint(0, high, shape, generator=generator, dtype=dtype)
    if dtype.is_floating_point:
        scale = 0.1 if name == "input_values" else 1.0
        return (torch.randn(shape, generator=generator) * scale).to(dtype)
    if dtype == torch.bool:
        return torch.ones(shape, dtype=dtype)
    high = int(size_set.extra.get("integer_high", facts.get("vocab_size") or 10))
    return torch.randint(0, high, shape, generator=generator, dtype=dtype)


def make_inputs(specs: List[InputSpec], size_set: SizeSet, facts: Dict[str, Any], seed: int) -> List[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [make_tensor(spec, size_set, facts, generator) for spec in specs]


def parse_input_spec(value: Any) -> List[InputSpec]:
    """Validates a caller's inputSpec (TensorSpec list from TypeScript)."""
    if not isinstance(value, list) or not value:
        raise ValueError("inputSpec must be a non-empty list of {name, dtype, shape}")
    specs = []
    for entry in value:
        dtype = entry.get("dtype")
        if dtype not in TORCH_DTYPES:
            raise ValueError(f"inputSpec '{entry.get('name')}' has dtype {dtype!r}; use one of {sorted(TORCH_DTYPES)}")
        specs.append(InputSpec(str(entry["name"]), dtype, list(entry["shape"])))
    return specs
