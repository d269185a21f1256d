"""Test-only: prints, as one JSON line, what Python onnx's compiled descriptors say about every
message reachable from ModelProto (fields: name, number, type, repeated, packed, message or enum
type, oneof) and every enum of the file, plus the onnx version and the proto file the descriptors
were built from. The schema test compares it with the generated TypeScript tables."""

import json

import onnx
from google.protobuf.descriptor import FieldDescriptor

PACKAGE_PREFIX = "onnx."

TYPE_NAMES = {
    value: name[len("TYPE_"):].lower()
    for name, value in vars(FieldDescriptor).items()
    if name.startswith("TYPE_")
}


def local_name(full_name):
    assert full_name.startswith(PACKAGE_PREFIX), full_name
    return full_name[len(PACKAGE_PREFIX):]


def is_repeated(field):
    # protobuf >= 6 has is_repeated; older releases only the label.
    if hasattr(field, "is_repeated"):
        return bool(field.is_repeated)
    return field.label == FieldDescriptor.LABEL_REPEATED


def is_packed(field):
    if hasattr(field, "is_packed"):
        return bool(field.is_packed)
    return bool(field.has_options and field.GetOptions().packed)


def describe_field(field):
    entry = {
        "number": field.number,
        "protoName": field.name,
        "type": TYPE_NAMES[field.type],
        "repeated": is_repeated(field),
        "packed": is_packed(field),
    }
    if field.message_type is not None:
        entry["typeName"] = local_name(field.message_type.full_name)
    if field.enum_type is not None:
        entry["typeName"] = local_name(field.enum_type.full_name)
    if field.containing_oneof is not None:
        entry["oneof"] = field.containing_oneof.name
    return entry


def reachable_messages(start):
    found = {}
    pending = [start]
    while pending:
        descriptor = pending.pop()
        name = local_name(descriptor.full_name)
        if name in found:
            continue
        found[name] = descriptor
        pending.extend(field.message_type for field in descriptor.fields if field.message_type is not None)
    return found


def enums_of(file_descriptor):
    found = {}

    def visit_message(descriptor):
        for enum in descriptor.enum_types:
            found[local_name(enum.full_name)] = {value.name: value.number for value in enum.values}
        for nested in descriptor.nested_types:
            visit_message(nested)

    for enum in file_descriptor.enum_types_by_name.values():
        found[local_name(enum.full_name)] = {value.name: value.number for value in enum.values}
    for message in file_descriptor.message_types_by_name.values():
        visit_message(message)
    return found


def main():
    messages = reachable_messages(onnx.ModelProto.DESCRIPTOR)
    result = {
        "onnxVersion": onnx.__version__,
        "protoFile": onnx.ModelProto.DESCRIPTOR.file.name,
        "messages": {
            name: sorted((describe_field(field) for field in descriptor.fields), key=lambda entry: entry["number"])
            for name, descriptor in sorted(messages.items())
        },
        "enums": enums_of(onnx.ModelProto.DESCRIPTOR.file),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
