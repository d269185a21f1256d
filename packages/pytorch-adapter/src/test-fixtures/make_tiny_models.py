"""Test fixture: builds tiny, seeded, random-weight models into a directory.

Reads {"directory": str, "models": [names]} from stdin and prints a JSON object mapping each name to
facts the tests need (the model's path, and for gpt2 the greedy tokens PyTorch generates).
"""

import json
import os
import sys

import torch


def _save(model, directory, extra_files=None, weights="safetensors"):
    """Saves config and weights: one model.safetensors, sharded safetensors with an index
    ("sharded"), or a pickled pytorch_model.bin state dict ("bin", what transformers 4 wrote with
    safe_serialization=False)."""
    os.makedirs(directory, exist_ok=True)
    if weights == "bin":
        model.config.architectures = [type(model).__name__]
        model.config.save_pretrained(directory)
        torch.save(model.state_dict(), os.path.join(directory, "pytorch_model.bin"))
    else:
        model.save_pretrained(directory, **({"max_shard_size": "40KB"} if weights == "sharded" else {}))
    for name, content in (extra_files or {}).items():
        with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
            json.dump(content, handle)
    return {"path": directory}


TEXT = dict(vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            max_position_embeddings=64)


def bert(directory):
    from transformers import BertConfig, BertForMaskedLM

    return _save(BertForMaskedLM(BertConfig(**TEXT)), directory)


def distilbert(directory):
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    config = DistilBertConfig(vocab_size=96, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=64,
                              num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
                              label2id={"negative": 0, "neutral": 1, "positive": 2})
    return _save(DistilBertForSequenceClassification(config), directory, weights="bin")


def roberta(directory):
    from transformers import RobertaConfig, RobertaForTokenClassification

    config = RobertaConfig(**{**TEXT, "max_position_embeddings": 66}, num_labels=5, pad_token_id=1)
    return _save(RobertaForTokenClassification(config), directory, weights="sharded")


def bert_qa(directory):
    from transformers import BertConfig, BertForQuestionAnswering

    model = BertForQuestionAnswering(BertConfig(**TEXT))
    result = _save(model, directory)
    result["weightBytes"] = sum(tensor.numel() * tensor.element_size() for tensor in model.state_dict().values())
    return result


def gpt2(directory):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=96, n_embd=32, n_layer=2, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0,
                        initializer_range=0.5)
    model = GPT2LMHeadModel(config).eval()
    result = _save(model, directory)
    prompt = [5, 17, 42, 8]
    tokens = list(prompt)
    with torch.no_grad():
        for _ in range(10):
            logits = model(input_ids=torch.tensor([tokens]), use_cache=False).logits
            tokens.append(int(logits[0, -1].argmax()))
    result.update({"prompt": prompt, "greedyTokens": tokens[len(prompt):]})
    return result


def resnet(directory):
    from transformers import ResNetConfig, ResNetForImageClassification

    config = ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
                          num_labels=4, image_size=32)
    return _save(ResNetForImageClassification(config), directory, {"preprocessor_config.json": {"size": {"shortest_edge": 32}}})


def vit(directory):
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=2, intermediate_size=64, num_labels=3)
    return _save(ViTForImageClassification(config), directory)


def whisper(directory):
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = WhisperConfig(vocab_size=96, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=16,
                           max_source_positions=16, max_target_positions=32, decoder_start_token_id=1, pad_token_id=0,
                           eos_token_id=2, bos_token_id=1, suppress_tokens=[], begin_suppress_tokens=[])
    return _save(WhisperForConditionalGeneration(config), directory,
                 {"preprocessor_config.json": {"feature_size": 16, "sampling_rate": 16000}})


def wav2vec2(directory):
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    config = Wav2Vec2Config(vocab_size=20, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4),
                            num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2, pad_token_id=0)
    return _save(Wav2Vec2ForCTC(config), directory, {"preprocessor_config.json": {"sampling_rate": 16000, "feature_size": 1}})


def wav2vec2_classifier(directory):
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                            conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=8,
                            num_conv_pos_embedding_groups=2, classifier_proj_size=16, num_labels=4,
                            architectures=["Wav2Vec2ForSequenceClassification"])
    return _save(Wav2Vec2ForSequenceClassification(config), directory,
                 {"preprocessor_config.json": {"sampling_rate": 16000, "feature_size": 1}})


class _OpensMarker:
    """Unpickling this calls open(marker, "w"): proof that a loader ran arbitrary pickled code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def pickle_payload(directory):
    """A BERT directory whose pytorch_model.bin pickles a non-tensor object next to the weights."""
    from transformers import BertConfig, BertForMaskedLM

    os.makedirs(directory, exist_ok=True)
    model = BertForMaskedLM(BertConfig(**TEXT))
    model.config.save_pretrained(directory)
    marker = os.path.join(os.path.dirname(directory), "pickle-payload-ran")
    state = dict(model.state_dict())
    state["payload"] = _OpensMarker(marker)
    torch.save(state, os.path.join(directory, "pytorch_model.bin"))
    return {"path": directory, "marker": marker}


def state_dict(directory):
    """A plain torch.save state dict (a zip archive, not TorchScript)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "weights.pt")
    torch.save({"w": torch.ones(2)}, path)
    return {"path": path}


def guarded_module(directory):
    """A module that checks its input for NaN with a Python `if` on a tensor: torch.export cannot guard on
    that data-dependent value, the TorchScript exporter traces the branch the sample takes (no NaN)."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "guarded_models.py"), "w", encoding="utf-8") as handle:
        handle.write(
            "import torch\n\n\n"
            "class Tagger(torch.nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.embed = torch.nn.Linear(6, 8)\n"
            "        self.head = torch.nn.Linear(8, 3)\n\n"
            "    def forward(self, features):\n"
            "        if torch.isnan(features).any():\n"
            "            raise ValueError('features contain NaN')\n"
            "        return self.head(torch.tanh(self.embed(features)))\n\n\n"
            "def build():\n"
            "    torch.manual_seed(0)\n"
            "    return Tagger().eval()\n"
        )
    return {"path": directory, "module": "guarded_models:build"}


class _TinyConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.head = torch.nn.Linear(8, 5)

    def forward(self, images):
        features = torch.relu(self.conv(images)).mean(dim=(2, 3))
        return self.head(features)


def torchscript(directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tiny.pt")
    torch.jit.trace(_TinyConvNet().eval(), torch.randn(2, 3, 16, 16)).save(path)
    return {"path": path}


def torch_export(directory):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "tiny.pt2")
    batch = torch.export.Dim("batch")
    program = torch.export.export(_TinyConvNet().eval(), (torch.randn(2, 3, 16, 16),), dynamic_shapes=({0: batch},))
    torch.export.save(program, path)
    return {"path": path}


def torchvision_module(directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "tiny_vision_models.py"), "w", encoding="utf-8") as handle:
        handle.write(
            "import torch, torchvision\n\n"
            "def resnet50(num_classes=10):\n"
            "    torch.manual_seed(0)\n"
            "    return torchvision.models.resnet50(weights=None, num_classes=num_classes)\n"
        )
    return {"path": directory, "module": "tiny_vision_models:resnet50"}


BUILDERS = {
    "bert": bert, "distilbert": distilbert, "roberta": roberta, "bert-qa": bert_qa, "gpt2": gpt2, "resnet": resnet,
    "vit": vit, "whisper": whisper, "wav2vec2": wav2vec2, "torchscript": torchscript, "torch-export": torch_export,
    "torchvision": torchvision_module, "wav2vec2-classifier": wav2vec2_classifier, "pickle-payload": pickle_payload,
    "state-dict": state_dict, "guarded-module": guarded_module,
}


def main():
    from tiny_head_models import HEAD_BUILDERS
    from tiny_breadth_models import BREADTH_BUILDERS
    from tiny_seq2seq_models import SEQ2SEQ_BUILDERS

    request = json.loads(sys.stdin.read())
    result = {}
    for name in request["models"]:
        torch.manual_seed(0)
        result[name] = {**BUILDERS, **HEAD_BUILDERS, **SEQ2SEQ_BUILDERS, **BREADTH_BUILDERS}[name](os.path.join(request["directory"], name))
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
