"""Hashed byte n-gram front-ends: string preprocessing that ONNX cannot express, rewritten as UTF-8
bytes in and a lookup table of TensorFlow's own hash values.

Some text classifiers (Estimator feature columns exported to TF.js, such as the language detector
of @vscode/vscode-languagedetection) take a string tensor, split each string into bytes
(`tf.strings.bytes_split`), form n-grams of one width (`StringNGrams`), pad or cut each row to a
fixed width, and hash the n-grams into buckets (`StringToHashBucketFast`). ONNX has no operator
that splits a string into bytes and none that hashes one, so onnxruntime cannot run that graph.
Over bytes, though, the n-grams of width w <= 2 take at most 256**w values, so their buckets form a
table that TensorFlow computes here, with the graph's own hash op. The rewritten graph takes each
string as UTF-8 bytes (`<input>_utf8`, uint8 [batch, bytes], rows padded) with its length
(`<input>_length`, int64 [batch]), computes each n-gram's index into that table, and goes on with
the original numeric graph. Probe strings (empty, one byte, text, random bytes, one longer than a
row) must give the same buckets and outputs in both graphs before the rewrite is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from gpux_bridge import BridgeError

HASH_OPS = ("StringToHashBucketFast", "StringToHashBucket", "StringToHashBucketStrong")
# Ops that pass string elements through unchanged (first input): the region between the n-gram rows and the hashes.
ELEMENT_PRESERVING_OPS = ("GatherNd", "GatherV2", "Gather", "Reshape", "Identity", "Squeeze", "ExpandDims")
COMPARISON_OPS = ("NotEqual", "Equal")
SHAPE_OPS = ("Shape", "Size")
MAX_WIDTH = 2


@dataclass
class ByteNgramFrontend:
    """What the analysis found; `reason` says why not, when the graph has hash ops but no supported front-end."""

    input_node: str = ""
    rows_tensor: str = ""
    width: int = 0
    separator: bytes = b""
    hash_nodes: List[str] = field(default_factory=list)
    reason: Optional[str] = None


def _node_name(tensor: str) -> str:
    return tensor.split(":")[0].lstrip("^")


def _tensor_name(tensor: str) -> str:
    name = tensor.lstrip("^")
    return name if ":" in name else name + ":0"


def _all_function_nodes(graph_def) -> List[Any]:
    return [node for function in graph_def.library.function for node in function.node_def]


def analyse(graph_def) -> Optional[ByteNgramFrontend]:
    """The front-end of `graph_def`, or None when it hashes no strings."""
    import tensorflow as tf

    nodes = {node.name: node for node in graph_def.node}
    hashes = [node for node in graph_def.node if node.op in HASH_OPS]
    if not hashes:
        return None
    found = ByteNgramFrontend(hash_nodes=[node.name for node in hashes])
    rows = set()
    for node in hashes:
        tensor = node.input[0]
        while nodes.get(_node_name(tensor)) is not None and nodes[_node_name(tensor)].op in ELEMENT_PRESERVING_OPS:
            tensor = nodes[_node_name(tensor)].input[0]
        rows.add(_tensor_name(tensor))
    if len(rows) != 1:
        found.reason = f"its {len(hashes)} hash ops read {len(rows)} different string tensors"
        return found
    found.rows_tensor = rows.pop()
    placeholders = [node for node in graph_def.node if node.op == "Placeholder" and node.attr["dtype"].type == tf.string.as_datatype_enum]
    if len(placeholders) != 1:
        found.reason = f"it has {len(placeholders)} string inputs (one is supported)"
        return found
    found.input_node = placeholders[0].name
    everywhere = list(graph_def.node) + _all_function_nodes(graph_def)
    ngrams = [node for node in everywhere if node.op == "StringNGrams"]
    splits = [node for node in everywhere if node.op in ("StringSplit", "StringSplitV2", "UnicodeDecode", "UnicodeDecodeWithOffsets")]
    if len(ngrams) != 1 or len(splits) != 1 or splits[0].op not in ("StringSplit", "StringSplitV2"):
        found.reason = "its strings are not split into bytes and joined into n-grams of one kind"
        return found
    attrs = ngrams[0].attr
    widths = list(attrs["ngram_widths"].list.i)
    if len(widths) != 1 or not 1 <= widths[0] <= MAX_WIDTH:
        found.reason = f"its n-gram widths {widths} are not one width of at most {MAX_WIDTH} bytes"
        return found
    pads = (attrs["left_pad"].s, attrs["right_pad"].s)
    if (attrs["pad_width"].i != 0 and any(pads)) or attrs["preserve_short_sequences"].b:
        found.reason = "its n-grams are padded or keep short sequences"
        return found
    found.width = int(widths[0])
    found.separator = bytes(attrs["separator"].s)
    return found


def _ancestors(nodes: Dict[str, Any], name: str) -> set:
    found, stack = set(), [name]
    while stack:
        current = stack.pop()
        if current in found or current not in nodes:
            continue
        found.add(current)
        stack.extend(_node_name(item) for item in nodes[current].input)
    return found


def _descendants(graph_def, name: str) -> set:
    consumers: Dict[str, List[str]] = {}
    for node in graph_def.node:
        for item in node.input:
            consumers.setdefault(_node_name(item), []).append(node.name)
    found, stack = set(), [name]
    while stack:
        current = stack.pop()
        for consumer in consumers.get(current, []):
            if consumer not in found:
                found.add(consumer)
                stack.append(consumer)
    return found


def _ngram_string(code: int, width: int, separator: bytes) -> bytes:
    if width == 1:
        return bytes([code])
    return bytes([code >> 8]) + separator + bytes([code & 255])


def _ngram_code(value: bytes, width: int, separator: bytes) -> Optional[int]:
    """The code of a byte n-gram (its table index - 1), or None when `value` is no n-gram of `width` bytes."""
    if width == 1 and len(value) == 1:
        return value[0]
    if width == 2 and len(value) == 2 + len(separator) and value[1:-1] == separator:
        return value[0] * 256 + value[-1]
    return None


def _code_of(value: bytes, width: int, separator: bytes, pad: bytes, pad_code: int) -> int:
    """The code a row element equal to `value` has: the pad's code for the pad, -2 (no element) when not an n-gram."""
    if value == pad:
        return pad_code
    code = _ngram_code(value, width, separator)
    return -2 if code is None else code


def _hash_table(node, strings: List[bytes]) -> np.ndarray:
    import tensorflow as tf

    values = tf.constant(strings, dtype=tf.string)
    buckets = int(node.attr["num_buckets"].i)
    if node.op == "StringToHashBucketFast":
        result = tf.raw_ops.StringToHashBucketFast(input=values, num_buckets=buckets)
    elif node.op == "StringToHashBucket":
        result = tf.raw_ops.StringToHashBucket(string_tensor=values, num_buckets=buckets)
    else:
        result = tf.raw_ops.StringToHashBucketStrong(input=values, num_buckets=buckets, key=list(node.attr["key"].list.i))
    return result.numpy().astype(np.int64)


def _const_node(name: str, value: np.ndarray):
    import tensorflow as tf

    node = tf.compat.v1.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    return node


def encode_strings(strings: Sequence[bytes]) -> Tuple[np.ndarray, np.ndarray]:
    """Strings as the rewritten graph takes them: bytes [batch, longest] (zero padded) and lengths."""
    longest = max([len(value) for value in strings] + [0])
    data = np.zeros((len(strings), longest), dtype=np.uint8)
    for row, value in enumerate(strings):
        data[row, : len(value)] = np.frombuffer(value, dtype=np.uint8)
    return data, np.array([len(value) for value in strings], dtype=np.int64)


def decode_feeds(data: np.ndarray, lengths: np.ndarray) -> List[bytes]:
    """The strings that bytes + lengths stand for (a length past the row is the whole row, as in the graph)."""
    return [bytes(row[: max(0, min(int(length), row.shape[0]))]) for row, length in zip(data, lengths)]


def probe_strings() -> List[bytes]:
    rng = np.random.default_rng(7)
    text = b"def main():\n    return [value * 2 for value in range(10)]\n"
    return [b"", b"a", b"ab", text, rng.integers(0, 256, 300).astype(np.uint8).tobytes(), (text * 300)[:12_000]]


class RewrittenGraph:
    """The byte-input graph, its input names and the probe comparison that accepted it."""

    def __init__(self, graph_def, input_key: str, utf8_input: str, length_input: str, table_entries: int, probe_note: str) -> None:
        self.graph_def = graph_def
        # The string input the bytes and lengths stand for, as the source names it (signature key, argument, placeholder).
        self.input_key = input_key
        self.utf8_input = utf8_input
        self.length_input = length_input
        self.table_entries = table_entries
        self.probe_note = probe_note
        # The ONNX model's input names (the placeholders' own, unless a source keeps tensor names).
        self.feed_names = (utf8_input, length_input)

    def reference_feeds(self, feeds: Dict[str, np.ndarray], case_index: int) -> Dict[str, np.ndarray]:
        """Validation feeds with lengths inside each row (the first row full), so every case holds real text lengths."""
        data = feeds[self.feed_names[0]]
        rng = np.random.default_rng(1000 + case_index)
        lengths = rng.integers(min(2, data.shape[1]), data.shape[1] + 1, size=data.shape[0]).astype(np.int64)
        lengths[0] = data.shape[1]
        return dict(feeds, **{self.feed_names[1]: lengths})

    def strings(self, feeds: Dict[str, np.ndarray]) -> np.ndarray:
        """The strings that bytes + lengths feeds stand for, as the original graph's string input takes them."""
        return np.array(decode_feeds(feeds[self.feed_names[0]], feeds[self.feed_names[1]]), dtype=object)

    def convert(self, name: str, outputs: Dict[str, str], opset: int, common: Dict[str, Any], **extra: Any) -> Tuple[Any, Any]:
        """tf2onnx on the rewritten graph; `outputs` maps each output tensor to its ONNX name."""
        import tf2onnx

        inputs = [f"{value}:0" for value in (self.utf8_input, self.length_input)]
        renames = {tensor: feed for tensor, feed in zip(inputs, self.feed_names) if tensor != feed}
        renames.update({tensor: output for tensor, output in outputs.items() if tensor != output})
        return tf2onnx.convert.from_graph_def(
            self.graph_def, name=name, input_names=inputs, output_names=list(outputs), opset=opset,
            tensors_to_rename=renames or None, **extra, **common,
        )


def rewrite_source(source, graph_def, open_session: Callable[[], Any], input_key: Callable[[str], str], output_tensors: Sequence[str],
                   kind: str = "", keep_tensor_names: bool = False) -> Optional[RewrittenGraph]:
    """Rewrites a source's graph when it hashes byte n-grams, and records that on the source (notes,
    exporter, task, integer input bounds). None when it hashes no strings, or when it does so in a way
    the rewrite does not cover: then the source's description says why, for the unsupported-op error.

    `open_session` gives a TensorFlow session of the original graph (called only when the rewrite
    applies), `input_key` names the bytes/lengths inputs after the string input's placeholder, `kind`
    prefixes the exporter's description, and `keep_tensor_names` keeps tf2onnx's `name:0` input names.
    """
    frontend = analyse(graph_def)
    if frontend is None:
        return None
    if frontend.reason is not None:
        source.description += f" (its string hashing is not a byte n-gram front-end GPUX can rewrite: {frontend.reason})"
        return None
    rewritten = rewrite(graph_def, frontend, input_key(frontend.input_node), output_tensors, open_session())
    if keep_tensor_names:
        rewritten.feed_names = (f"{rewritten.utf8_input}:0", f"{rewritten.length_input}:0")
    source.notes.append(rewritten.probe_note)
    source.exporter = f"tf2onnx.convert.from_graph_def ({kind}byte n-gram hashing rewritten as a lookup table)"
    source.integer_input_highs = {rewritten.feed_names[0]: 256}
    source.task = "text-classification"
    return rewritten


def rewrite(graph_def, frontend: ByteNgramFrontend, input_key: str, output_tensors: Sequence[str], original_session) -> RewrittenGraph:
    """The graph with its string front-end replaced by bytes + lengths and lookup tables.

    @raises BridgeError UNSUPPORTED_OPERATOR when the rows tensor is used in a way the rewrite does not
    cover; EXPORT_FAILED when the probes disagree (a GPUX bug: nothing is written).
    """
    import tensorflow as tf

    width, separator = frontend.width, frontend.separator
    probes = probe_strings()
    rows = original_session.run(frontend.rows_tensor, {_tensor_name(frontend.input_node): probes})
    if rows.ndim != 2:
        raise BridgeError("UNSUPPORTED_OPERATOR", f"The n-gram rows {frontend.rows_tensor} have rank {rows.ndim}; GPUX rewrites [batch, width] rows only.")
    row_width = int(rows.shape[1])
    pads = {bytes(value) for row, probe in zip(rows, probes) for value in row[max(0, len(probe) - width + 1):]}
    if len(pads) > 1:
        raise BridgeError("UNSUPPORTED_OPERATOR", f"The n-gram rows {frontend.rows_tensor} are padded with {len(pads)} different values; GPUX rewrites rows padded with one value.")
    pad = pads.pop() if pads else b""
    entries = 256 ** width
    # A pad that is itself an n-gram string has that n-gram's code; any other pad is -1 (table entry 0).
    pad_ngram = _ngram_code(pad, width, separator)
    pad_code = -1 if pad_ngram is None else pad_ngram
    hash_ops = sorted({node.op for node in graph_def.node if node.name in frontend.hash_nodes})
    strings = [pad] + [_ngram_string(code, width, separator) for code in range(entries)]

    rewritten = tf.compat.v1.GraphDef()
    rewritten.CopyFrom(graph_def)
    nodes = {node.name: node for node in rewritten.node}
    # Inlined function calls (a SavedModel signature) hang control edges on their inputs: edges into
    # the string side (the input and what computes the rows from it) go, since the rows replace it.
    string_side = _ancestors(nodes, _node_name(frontend.rows_tensor)) & (_descendants(rewritten, frontend.input_node) | {frontend.input_node})
    for node in rewritten.node:
        kept = [name for name in node.input if not (name.startswith("^") and _node_name(name) in string_side)]
        if len(kept) != len(node.input):
            del node.input[:]
            node.input.extend(kept)
    region = {frontend.rows_tensor}
    added = []
    tables: Dict[Tuple[str, int, Tuple[int, ...]], str] = {}
    for node in list(rewritten.node):
        inputs = [_tensor_name(name) for name in node.input if not name.startswith("^")]
        if not any(name in region for name in inputs):
            continue
        if node.op in ELEMENT_PRESERVING_OPS and _tensor_name(node.input[0]) in region:
            for key in ("T", "Tparams"):
                if key in node.attr and node.attr[key].type == tf.string.as_datatype_enum:
                    node.attr[key].type = tf.int64.as_datatype_enum
            region.add(node.name + ":0")
        elif node.op in SHAPE_OPS:
            node.attr["T"].type = tf.int64.as_datatype_enum
        elif node.op in COMPARISON_OPS:
            other = [name for name in node.input if _tensor_name(name) not in region]
            constant = nodes.get(_node_name(other[0])) if len(other) == 1 else None
            if constant is None or constant.op != "Const":
                raise BridgeError("UNSUPPORTED_OPERATOR", f"{node.name} compares the n-gram rows with a computed value; GPUX rewrites comparisons with constants only.")
            value = tf.make_ndarray(constant.attr["value"].tensor)
            code = _code_of(bytes(value.reshape(-1)[0]), width, separator, pad, pad_code) if value.size == 1 else None
            if code is None:
                raise BridgeError("UNSUPPORTED_OPERATOR", f"{node.name} compares the n-gram rows with a non-scalar constant.")
            name = f"{node.name}/byte_ngram_code"
            added.append(_const_node(name, np.array(code, dtype=np.int64)))
            node.input[list(node.input).index(other[0])] = name
            node.attr["T"].type = tf.int64.as_datatype_enum
        elif node.op in HASH_OPS:
            # Hash ops with the same op, bucket count and key (a wide-and-deep model's two branches) share one table.
            settings = (node.op, int(node.attr["num_buckets"].i), tuple(node.attr["key"].list.i) if "key" in node.attr else ())
            if settings not in tables:
                tables[settings] = f"{node.name}/byte_ngram_table"
                added.append(_const_node(tables[settings], _hash_table(node, strings)))
            table_name, shifted, axis = tables[settings], f"{node.name}/byte_ngram_index", f"{node.name}/byte_ngram_axis"
            one = _const_node(f"{node.name}/byte_ngram_one", np.array(1, dtype=np.int64))
            shift = tf.compat.v1.NodeDef(name=shifted, op="AddV2", input=[node.input[0], one.name])
            shift.attr["T"].type = tf.int64.as_datatype_enum
            added.extend([one, shift, _const_node(axis, np.array(0, dtype=np.int32))])
            node.op = "GatherV2"
            node.ClearField("attr")
            node.attr["Tparams"].type = tf.int64.as_datatype_enum
            node.attr["Tindices"].type = tf.int64.as_datatype_enum
            node.attr["Taxis"].type = tf.int32.as_datatype_enum
            node.attr["batch_dims"].i = 0
            node.ClearField("input")
            node.input.extend([table_name, shifted, axis])
        else:
            raise BridgeError("UNSUPPORTED_OPERATOR", f"{node.name} ({node.op}) uses the n-gram strings; GPUX rewrites hashing, comparison, shape and gather uses only.")
    rewritten.node.extend(added)

    graph = tf.Graph()
    utf8_name, length_name = f"{input_key}_utf8", f"{input_key}_length"
    with graph.as_default():
        data = tf.compat.v1.placeholder(tf.uint8, [None, None], name=utf8_name)
        lengths = tf.compat.v1.placeholder(tf.int64, [None], name=length_name)
        with tf.name_scope("byte_ngram_codes"):
            values = tf.cast(data, tf.int64)
            available = tf.shape(values, out_type=tf.int64)[1]
            codes = values if width == 1 else values[:, :-1] * 256 + values[:, 1:]
            count = tf.maximum(tf.minimum(lengths, available) - (width - 1), 0)
            positions = tf.range(tf.shape(codes, out_type=tf.int64)[1])
            pad_value = tf.constant(pad_code, tf.int64)
            codes = tf.where(positions[tf.newaxis, :] < count[:, tf.newaxis], codes, pad_value)
            filler = tf.fill(tf.stack([tf.shape(codes)[0], row_width]), pad_value)
            codes = tf.concat([codes, filler], axis=1)[:, :row_width]
        tf.compat.v1.import_graph_def(rewritten, input_map={frontend.rows_tensor: codes}, name="")
    keep = [utf8_name, length_name] + [_node_name(name) for name in output_tensors] + frontend.hash_nodes
    pruned = tf.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), keep)
    if any(node.name == frontend.input_node for node in pruned.node):
        raise BridgeError("UNSUPPORTED_OPERATOR", f"Ops besides the byte n-grams read the string input {frontend.input_node}; GPUX rewrites graphs whose strings only feed the n-gram hashing.")
    used = {value.func.name for node in pruned.node for value in node.attr.values() if value.func.name}
    kept_functions = [function for function in pruned.library.function if function.signature.name in used]
    del pruned.library.function[:]
    pruned.library.function.extend(kept_functions)

    check = tf.Graph()
    with check.as_default():
        tf.compat.v1.import_graph_def(pruned, name="")
    names = [_tensor_name(name) for name in frontend.hash_nodes] + [_tensor_name(name) for name in output_tensors]
    data_value, length_value = encode_strings(probes)
    with tf.compat.v1.Session(graph=check) as session:
        got = session.run(names, {f"{utf8_name}:0": data_value, f"{length_name}:0": length_value})
    expected = original_session.run(names, {_tensor_name(frontend.input_node): probes})
    worst = 0.0
    for name, mine, theirs in zip(names, got, expected):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        if mine.shape != theirs.shape or (mine.dtype.kind in "fc" and not np.allclose(mine, theirs, atol=1e-6)) or (mine.dtype.kind not in "fc" and not np.array_equal(mine, theirs)):
            raise BridgeError("EXPORT_FAILED", f"GPUX's byte n-gram rewrite disagrees with TensorFlow on {name} for its probe strings: please report this.")
        if mine.dtype.kind in "fc":
            worst = max(worst, float(np.max(np.abs(mine - theirs))) if mine.size else 0.0)
    note = (f"The string input {input_key} became {utf8_name} (uint8 [batch_size, bytes]: UTF-8, rows zero padded) and {length_name} "
            f"(int64 [batch_size]: bytes per row): ONNX has no op to split a string into bytes or to hash it, so its byte {width}-gram "
            f"hashing ({', '.join(hash_ops)}: {len(frontend.hash_nodes)} op(s)) is a lookup table of {entries + 1} buckets that TensorFlow computed. "
            f"{len(probes)} probe strings gave the same buckets and outputs as the string graph (max abs diff {worst:.3g}).")
    return RewrittenGraph(pruned, input_key, utf8_name, length_name, entries + 1, note)
