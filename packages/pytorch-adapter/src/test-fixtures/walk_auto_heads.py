"""Test fixture: walks every Auto model mapping of the installed transformers and records what the
adapter's task inference does with each class it lists.

For every (Auto class, model_type, class name), a config of that model type (transformers' defaults; no
weights are built) names the class in `architectures`, and hf_models.choose_task runs as for an export
with no task given. The outcome is either a task whose Auto class builds exactly that class (the head is
exported), or a BridgeError UNSUPPORTED_ARCHITECTURE naming the class and the feature-extraction fix.
Anything else is a violation. Prints {"autoClasses": {name: entries}, "entries": n, "exported": {task: [class]}, "refused": n, "violations": [...]}.
"""

import json
import logging
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "converter-core", "python"))

warnings.filterwarnings("ignore")


def _config(config_class):
    """The default config; a bare instance when the defaults do not validate (only the class and
    model_type matter to task inference)."""
    try:
        return config_class()
    except Exception:  # noqa: BLE001 - some composite configs need arguments
        return config_class.__new__(config_class)


def main():
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    transformers.logging.set_verbosity_error()
    logging.disable(logging.WARNING)
    from gpux_bridge import BridgeError
    from heads import FEATURE_EXTRACTION_FIX, auto_classes, class_loaded_by
    from hf_models import choose_task, supported_tasks
    from tasks import AUTO_CLASS_BY_TASK, CTC_AUTO_CLASS

    classes = auto_classes()
    configs = {}
    summary = {"transformers": transformers.__version__, "autoClasses": {}, "exported": {}, "entries": 0, "refused": 0, "violations": []}
    for auto_name, auto_class in sorted(classes.items()):
        entries = auto_class._model_mapping._model_mapping
        summary["autoClasses"][auto_name] = len(entries)
        for model_type, value in entries.items():
            for architecture in (list(value) if isinstance(value, (list, tuple)) else [value]):
                if model_type not in configs:
                    configs[model_type] = _config(CONFIG_MAPPING[model_type])
                config = configs[model_type]
                config.architectures = [architecture]
                summary["entries"] += 1
                where = f"{auto_name}[{model_type}] {architecture}"
                try:
                    task = choose_task(config, None)
                except BridgeError as error:
                    fix = FEATURE_EXTRACTION_FIX in error.message or "feature-extraction" not in supported_tasks(config)
                    if error.code == "UNSUPPORTED_ARCHITECTURE" and architecture in error.message and fix:
                        summary["refused"] += 1
                    else:
                        summary["violations"].append(f"{where}: refused with {error.code}: {error.message[:300]}")
                    continue
                except Exception as error:  # noqa: BLE001 - recorded as a violation
                    summary["violations"].append(f"{where}: {type(error).__name__}: {str(error)[:300]}")
                    continue
                names = [AUTO_CLASS_BY_TASK[task]] + ([CTC_AUTO_CLASS] if task == "automatic-speech-recognition" else [])
                loaded = [class_loaded_by(classes[name], config) for name in names]
                if architecture in loaded:
                    summary["exported"].setdefault(task, []).append(architecture)
                else:
                    summary["violations"].append(f"{where}: task {task} would load {loaded}, not {architecture}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
