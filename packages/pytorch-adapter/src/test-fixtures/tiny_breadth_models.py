"""Test fixture builders (used by make_tiny_models.py): tiny random-weight models of the architecture
families of issue 14 other than the encoder-decoders: a nested multimodal config (CLIP, BLIP captioning)
and vision models whose traced graph depends on the image size (Dinov2, MobileViT)."""

from make_tiny_models import _save as save

VISION = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def clip(directory):
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(text_config=dict(vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=64, max_position_embeddings=32, eos_token_id=2),
                        vision_config=VISION, projection_dim=16)
    return save(CLIPModel(config), directory)


def blip_captioning(directory):
    from transformers import BlipConfig, BlipForConditionalGeneration

    config = BlipConfig(text_config=dict(vocab_size=96, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                         intermediate_size=64, max_position_embeddings=32),
                        vision_config=VISION, projection_dim=16)
    return save(BlipForConditionalGeneration(config), directory)


def dinov2(directory):
    from transformers import Dinov2Config, Dinov2Model

    return save(Dinov2Model(Dinov2Config(**VISION)), directory)


def mobilevit(directory):
    from transformers import MobileViTConfig, MobileViTForImageClassification

    config = MobileViTConfig(image_size=32, patch_size=2, hidden_sizes=[16, 16, 16], neck_hidden_sizes=[8, 8, 8, 16, 16, 16, 32],
                             num_attention_heads=2, expand_ratio=2.0, num_labels=3)
    return save(MobileViTForImageClassification(config), directory)


BREADTH_BUILDERS = {"clip": clip, "blip-captioning": blip_captioning, "dinov2": dinov2, "mobilevit": mobilevit}
