import type { ServerResponse } from 'node:http';

/** A failure the loopback hub injects into matching requests. */
export type HubFault =
  /** Answer with this status (and `X-Error-Code` when given) instead of the real answer. */
  | { kind: 'status'; status: number; errorCode?: string; message?: string }
  /** Send the headers and the first `afterBytes` body bytes, then destroy the connection. */
  | { kind: 'drop'; afterBytes: number }
  /** Send the body in chunks of `chunkBytes`, waiting `delayMs` before each. */
  | { kind: 'slow'; chunkBytes: number; delayMs: number }
  /** Send these bytes (with a matching Content-Length) instead of the file: wrong bytes or wrong count. */
  | { kind: 'replace-body'; body: Buffer | string }
  /** Declare this Content-Length; send that many bytes of the body, or the whole body and then drop. */
  | { kind: 'content-length'; contentLength: number };

/** Which requests a fault applies to. Every given field must match. */
export interface HubFaultMatch {
  /** HTTP method (`GET`, `HEAD`, `POST`). Body faults never apply to HEAD. */
  method?: string;
  /** A repo file: matches `/{id}/resolve/{rev}/{file}` for any repo and revision. */
  file?: string;
  /** The decoded URL pathname, exactly, or a pattern. */
  pathname?: string | RegExp;
}

/** A fault rule given to {@link LoopbackHub.addFault}. */
export interface HubFaultRule {
  match: HubFaultMatch;
  fault: HubFault;
  /** How many matching requests get the fault. @default Infinity */
  times?: number;
}

/** A registered fault rule with its remaining count. */
export interface ActiveHubFault {
  rule: HubFaultRule;
  remaining: number;
}

/** True for faults that change how a body is sent (they never apply to HEAD). */
export function isBodyFault(fault: HubFault): boolean {
  return fault.kind !== 'status';
}

/** Whether a rule matches a request. `file` is the repo path of a resolve request, if it is one. */
export function faultMatches(match: HubFaultMatch, method: string, pathname: string, file: string | undefined): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method) return false;
  if (match.file !== undefined && match.file !== file) return false;
  if (match.pathname !== undefined) {
    if (typeof match.pathname === 'string' ? match.pathname !== pathname : !match.pathname.test(pathname)) return false;
  }
  return true;
}

/**
 * Writes the head and `body`, applying a body fault when given. Resolves with the number of body
 * bytes handed to the socket.
 */
export async function sendBody(response: ServerResponse, status: number, headers: Record<string, string | number>, body: Buffer, fault: HubFault | undefined, isHead: boolean): Promise<number> {
  const head = { ...headers, 'Content-Length': body.length };
  if (fault?.kind === 'replace-body') head['Content-Length'] = typeof fault.body === 'string' ? Buffer.byteLength(fault.body) : fault.body.length;
  if (fault?.kind === 'content-length') head['Content-Length'] = fault.contentLength;
  response.writeHead(status, head);
  if (isHead) {
    response.end();
    return 0;
  }
  if (fault === undefined || fault.kind === 'status') {
    response.end(body);
    return body.length;
  }
  switch (fault.kind) {
    case 'replace-body': {
      const replacement = typeof fault.body === 'string' ? Buffer.from(fault.body) : fault.body;
      response.end(replacement);
      return replacement.length;
    }
    case 'drop': {
      const part = body.subarray(0, Math.min(fault.afterBytes, body.length));
      await new Promise<void>((resolve) => {
        response.write(part, () => resolve());
      });
      // Let the bytes leave the socket's queue before cutting the connection.
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.socket?.destroy();
      return part.length;
    }
    case 'content-length': {
      if (fault.contentLength <= body.length) {
        response.end(body.subarray(0, fault.contentLength));
        return fault.contentLength;
      }
      await new Promise<void>((resolve) => {
        response.write(body, () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.socket?.destroy();
      return body.length;
    }
    case 'slow': {
      let sent = 0;
      const chunkBytes = Math.max(1, fault.chunkBytes);
      while (sent < body.length) {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        if (response.destroyed || response.socket === null || response.socket.destroyed) return sent;
        const chunk = body.subarray(sent, sent + chunkBytes);
        response.write(chunk);
        sent += chunk.length;
      }
      response.end();
      return sent;
    }
  }
}
