"""Test fixture builders (used by make_tiny_models.py): tiny random-weight models of task heads that
the exporter must keep (multiple choice, semantic segmentation, object detection) or refuse (a
pre-training head, a head class no Auto mapping lists), and a Bart whose backbone is exported on purpose."""

from make_tiny_models import TEXT, _save as save


def bert_multiple_choice(directory):
    from transformers import BertConfig, BertForMultipleChoice

    return save(BertForMultipleChoice(BertConfig(**TEXT)), directory)


def segformer(directory):
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    config = SegformerConfig(num_channels=3, num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                             patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 2], mlp_ratios=[2, 2],
                             decoder_hidden_size=16, num_labels=3)
    return save(SegformerForSemanticSegmentation(config), directory,
                {"preprocessor_config.json": {"size": {"height": 32, "width": 32}}})


def yolos(directory):
    from transformers import YolosConfig, YolosForObjectDetection

    config = YolosConfig(image_size=[32, 32], patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, num_detection_tokens=5, num_labels=3)
    return save(YolosForObjectDetection(config), directory)


def detr(directory):
    from transformers import DetrConfig, DetrForObjectDetection, ResNetConfig

    backbone = ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
                            out_features=["stage2"])
    config = DetrConfig(use_timm_backbone=False, backbone_config=backbone, use_pretrained_backbone=False, d_model=32,
                        encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                        encoder_ffn_dim=64, decoder_ffn_dim=64, num_queries=5, num_labels=3)
    return save(DetrForObjectDetection(config), directory,
                {"preprocessor_config.json": {"size": {"height": 64, "width": 64}}})


def bart(directory):
    from transformers import BartConfig, BartForConditionalGeneration

    config = BartConfig(vocab_size=96, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64)
    return save(BartForConditionalGeneration(config), directory)


def bert_pretraining(directory):
    from transformers import BertConfig, BertForPreTraining

    return save(BertForPreTraining(BertConfig(**TEXT)), directory)


def gpt2_double_heads(directory):
    from transformers import GPT2Config, GPT2DoubleHeadsModel

    config = GPT2Config(vocab_size=96, n_embd=32, n_layer=1, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0)
    return save(GPT2DoubleHeadsModel(config), directory)


HEAD_BUILDERS = {
    "bert-multiple-choice": bert_multiple_choice, "segformer": segformer, "yolos": yolos, "detr": detr, "bart": bart,
    "gpt2-double-heads": gpt2_double_heads, "bert-pretraining": bert_pretraining,
}
