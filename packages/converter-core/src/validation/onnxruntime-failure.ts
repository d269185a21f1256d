/** What onnxruntime said when it could not run a model, with the node it named. */
export interface OnnxRuntimeFailure {
  /** onnxruntime's message. */
  message: string;
  /** The node that failed (`Name:'...'` in onnxruntime's message), when it names one. */
  node?: string;
  /** That node's operator (`while running GatherND node`). */
  opType?: string;
}

const nodePattern = /while running (\S+) node\. Name:'([^']*)'/;

/**
 * Reads onnxruntime's failure message ("Non-zero status code returned while running GatherND node.
 * Name:'node_GatherND_72' Status Message: ...") into the message and the failing node's name and
 * operator.
 *
 * @example
 * ```ts
 * parseOnnxRuntimeFailure(new Error("... while running GatherND node. Name:'n1' Status Message: bad")).node; // 'n1'
 * ```
 */
export function parseOnnxRuntimeFailure(error: unknown): OnnxRuntimeFailure {
  const message = error instanceof Error ? error.message : String(error);
  const match = nodePattern.exec(message);
  return match === null ? { message } : { message, opType: match[1], node: match[2] };
}
