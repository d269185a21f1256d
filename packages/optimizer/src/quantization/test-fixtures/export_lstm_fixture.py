"""Exports a tiny random-weight PyTorch LSTM stack to ONNX for the DynamicQuantizeLSTM tests.

Usage: python export_lstm_fixture.py OUTPUT.onnx [torchscript|dynamo]
The model: nn.LSTM(16 -> 32) then a 2-layer bidirectional nn.LSTM(32 -> 32), input x[sequence, batch, 16],
output y[sequence, batch, 64]. Prints one JSON line: {"path": ..., "lstm_nodes": ...}.
"""

import json
import sys

import onnx
import torch


class LstmStack(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.first = torch.nn.LSTM(16, 32)
        self.second = torch.nn.LSTM(32, 32, num_layers=2, bidirectional=True)

    def forward(self, x):
        hidden, _ = self.first(x)
        output, _ = self.second(hidden)
        return output


def main():
    target = sys.argv[1]
    exporter = sys.argv[2] if len(sys.argv) > 2 else "torchscript"
    torch.manual_seed(0)
    model = LstmStack().eval()
    example = (torch.randn(5, 2, 16),)
    if exporter == "dynamo":
        sequence, batch = torch.export.Dim("sequence"), torch.export.Dim("batch")
        torch.onnx.export(model, example, target, dynamo=True, input_names=["x"], output_names=["y"], dynamic_shapes=({0: sequence, 1: batch},), external_data=False)
    else:
        torch.onnx.export(model, example, target, dynamo=False, input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "sequence", 1: "batch"}, "y": {0: "sequence", 1: "batch"}})
    lstm_nodes = sum(1 for node in onnx.load(target).graph.node if node.op_type == "LSTM")
    print(json.dumps({"path": target, "lstm_nodes": lstm_nodes}), flush=True)


if __name__ == "__main__":
    main()
