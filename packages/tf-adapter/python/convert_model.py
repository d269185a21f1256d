"""Entry point of @gpux/tf-adapter's Python side: converts one TensorFlow source with tf2onnx.

Request (JSON on stdin): {mode: "export" | "list-signatures", sourcePath, format, outputDirectory,
workDirectory, opset, referenceCaseCount, trustRemoteCode, options: {...adapterOptions}}.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gpux_bridge import BridgeError, run  # noqa: E402

DEFAULT_OPSET = 18
LARGE_MODEL_BYTES = 1_800_000_000


def _source_bytes(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    return total


def _load_source(request, bridge):
    fmt = request["format"]
    path = request["sourcePath"]
    options = request.get("options") or {}
    if fmt in ("keras", "tf-h5"):
        from keras_source import KerasSource

        return KerasSource(path, fmt, options, bool(request.get("trustRemoteCode")))
    if fmt == "tf-savedmodel":
        from graph_sources import SavedModelSource

        return SavedModelSource(path, options)
    if fmt == "hf-tensorflow":
        return _load_hf(path, options, request, bridge)
    if fmt == "tf-frozen-graph":
        from graph_sources import FrozenGraphSource

        return FrozenGraphSource(path, options)
    if fmt == "tflite":
        from lite_sources import TfliteSource

        return TfliteSource(path, options)
    if fmt == "tfjs":
        from lite_sources import TfjsSource, _read_model_json
        from tfjs_layers_source import TfjsLayersSource, is_layers_model

        model = _read_model_json(path)
        if is_layers_model(model):
            return TfjsLayersSource(path, model, options, request["workDirectory"], bool(request.get("trustRemoteCode")))
        return TfjsSource(path, options, request["workDirectory"])
    raise BridgeError("UNSUPPORTED_FORMAT", f"@gpux/tf-adapter does not handle format '{fmt}'.")


def hf_saved_model_directory(path):
    """The SavedModel inside a Hugging Face folder (`saved_model/1` as save_pretrained writes it), or None."""
    for candidate in (os.path.join(path, "saved_model", "1"), os.path.join(path, "saved_model")):
        if os.path.isfile(os.path.join(candidate, "saved_model.pb")):
            return candidate
    return None


def _load_hf(path, options, request, bridge):
    saved_model = hf_saved_model_directory(path)
    if saved_model is not None:
        from graph_sources import SavedModelSource

        return SavedModelSource(saved_model, options)
    if not os.path.isfile(os.path.join(path, "tf_model.h5")):
        raise BridgeError("INVALID_MODEL_FILE", f"{path} has neither tf_model.h5 nor saved_model/saved_model.pb.",
                          {"entries": sorted(os.listdir(path))[:20]})
    from hf_source import HuggingFaceTensorflowSource

    return HuggingFaceTensorflowSource(path, options, bool(request.get("trustRemoteCode")))


def _numpy_compat():
    import numpy as np

    # tf2onnx 1.17 calls np.product (TF.js reader, large-model graph compression); NumPy 2 removed it.
    if not hasattr(np, "product"):
        np.product = np.prod


class _UnsupportedOpLog(logging.Handler):
    """Keeps tf2onnx's 'Unsupported ops' counters (TFLite ops are reported before mapping)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.counters = []

    def emit(self, record):
        if "Unsupported ops" in str(record.msg) and record.args:
            self.counters.append(dict(record.args[0] if isinstance(record.args, tuple) else record.args))


def _versions():
    import onnx
    import tensorflow as tf
    import tf2onnx

    versions = {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__}
    try:
        import keras

        versions["keras"] = keras.__version__
    except ImportError:
        pass
    return versions


def _list_signatures(request):
    from graph_sources import describe_signatures, load_saved_model

    return {"signatures": describe_signatures(load_saved_model(request["sourcePath"], (request.get("options") or {}).get("tags")))}


def handle(request, bridge):
    if request.get("mode") == "list-signatures":
        return _list_signatures(request)
    import onnx_postprocess as post
    from reference_cases import write_reference_cases

    options = request.get("options") or {}
    _numpy_compat()
    os.makedirs(request["workDirectory"], exist_ok=True)
    opset = int(request.get("opset") or options.get("opset") or DEFAULT_OPSET)
    bridge.progress("export", 5, "loading the TensorFlow model")
    source = _load_source(request, bridge)
    source_bytes = _source_bytes(request["sourcePath"])
    threshold = int(options.get("largeModelThresholdBytes") or LARGE_MODEL_BYTES)
    large_model = bool(options.get("largeModel")) or source_bytes > threshold
    from function_inlining import nested_functions_inlined
    from tf_extra_ops import extra_tf_op_handlers

    common = {"large_model": large_model, "custom_op_handlers": extra_tf_op_handlers()}
    if options.get("inputsAsNchw"):
        common["inputs_as_nchw"] = list(options["inputsAsNchw"])
    log = _UnsupportedOpLog()
    logging.getLogger("tf2onnx").addHandler(log)
    bridge.progress("export", 20, f"converting {source.description} with tf2onnx (opset {opset})")
    lifted = None
    prepared_data = None
    if large_model:
        import lifted_weights

        lifted = lifted_weights.LiftedWeights(os.path.join(request["workDirectory"], "lifted-weights.bin"),
                                              int(options.get("externalWeightMinBytes") or lifted_weights.DEFAULT_MIN_BYTES))
        lifted_weights.remove_scratch(lifted)
    try:
        # Lifting (entered last, so it runs first) swaps weights for Placeholders before grappler inlines.
        with nested_functions_inlined(source.notes), \
                lifted_weights.weights_kept_out(lifted) if lifted is not None else contextlib.nullcontext():
            model, _ = source.convert(opset, common)
        notes = list(source.notes)
        if lifted is not None:
            # tf2onnx converted the graph without its large constants (lifted_weights.py).
            bridge.progress("export", 70, f"writing {len(lifted.entries)} weights ({lifted.total_bytes} bytes) as external data")
            prepared_data = os.path.join(request["workDirectory"], "model.onnx.data")
            counts = lifted_weights.attach_weights(model, lifted, prepared_data, "model.onnx.data")
            notes.append(f"{counts['weights']} weights of {lifted.min_bytes} bytes or more were kept out of tf2onnx and written "
                         f"straight to model.onnx.data; {counts['folded']} Transpose/Cast/Reshape node(s) on them were folded in.")
    finally:
        logging.getLogger("tf2onnx").removeHandler(log)
        if lifted is not None:
            lifted_weights.remove_scratch(lifted)
    graph_inputs = [value.name for value in model.graph.input]
    unknown_nchw = [name for name in options.get("inputsAsNchw") or [] if name not in graph_inputs]
    if unknown_nchw:
        raise BridgeError("EXPORT_FAILED", f"adapterOptions.inputsAsNchw names {', '.join(unknown_nchw)}, which the model does not have as inputs. Its inputs: {', '.join(graph_inputs)}.",
                          {"inputs": graph_inputs})
    unsupported = post.find_unsupported_ops(model)
    if unsupported:
        if not options.get("allowCustomOps"):
            post.raise_unsupported(unsupported, source.description)
        post.mark_custom_ops(model, unsupported)
        notes.append("Left unsupported TensorFlow ops as custom ops in domain "
                     f"{post.TENSORFLOW_DOMAIN}: " + ", ".join(f"{op} (x{n})" for op, n in unsupported.items())
                     + ". onnxruntime cannot run the model without an implementation of them.")
    post.name_symbolic_dims(model, dim_names=source.dim_names)
    if large_model:
        why = "asked for" if options.get("largeModel") else f"the source holds {source_bytes} bytes, above {threshold}"
        notes.append(f"Weights written as ONNX external data (model.onnx.data): {why}.")
    bridge.progress("export", 85, "writing model.onnx")
    os.makedirs(request["outputDirectory"], exist_ok=True)
    path = os.path.join(request["outputDirectory"], "model.onnx")
    post.save_model(model, path, prepared_data)
    inputs = post.tensor_specs([value for value in model.graph.input if value.name not in {i.name for i in model.graph.initializer}])
    outputs = post.tensor_specs(model.graph.output)
    count = int(request.get("referenceCaseCount", 2))
    cases = []
    # Validation compares numbers: string outputs (label tables) have no reference values.
    compared = [spec for spec in outputs if spec["dtype"] != "string"]
    if count > 0 and len(compared) < len(outputs):
        notes.append("Not compared with TensorFlow (string outputs): " + ", ".join(spec["name"] for spec in outputs if spec["dtype"] == "string") + ".")
    if count > 0 and not unsupported:
        cases = write_reference_cases(source, "model", inputs, compared, count, request["workDirectory"], int(options.get("seed", 0)), bridge,
                                      {str(name): int(size) for name, size in (request.get("staticShapes") or {}).items()})
    elif count > 0:
        notes.append("No reference outputs: the model keeps custom ops that onnxruntime cannot run.")
    if inputs and all(isinstance(spec["shape"][0], int) for spec in inputs if spec["shape"]):
        notes.append("The model's batch dimension is fixed; validation cases differ in their random inputs only.")
    task = request.get("task") or source.task
    if not task:
        from task_inference import infer_task

        task, why = infer_task(model, inputs, outputs)
        if why:
            notes.append(why)
    return {
        "files": [{"name": "model", "path": path, "inputs": inputs, "outputs": outputs}],
        "task": task,
        "architecture": source.architecture,
        "opset": opset,
        "exporter": source.exporter,
        "notes": notes,
        "toolVersions": _versions(),
        "referenceCases": cases,
        "modelConfig": source.model_config,
        "unsupportedOperators": unsupported,
    }


def _clear_framework_state() -> None:
    """Serve mode: drop Keras's global state (layer-name counters, graphs) between requests."""
    keras = sys.modules.get("keras") or sys.modules.get("tf_keras")
    if keras is None:
        return
    try:
        keras.backend.clear_session()
    except Exception:  # noqa: BLE001 - a Keras without clear_session keeps its state; results stay valid
        pass


if __name__ == "__main__":
    run(handle, after_request=_clear_framework_state)
