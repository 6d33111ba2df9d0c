// The one way the proxy answers with a response of its own making: status lines for HTTP/1.0
// and 1.1 clients, and the Docker-style JSON error (`{"message": ...}`) every docker client
// prints. Never writes a body in answer to HEAD.

/** How a response must be shaped for the request it answers. */
export interface ResponseShape {
  /** The request was HTTP/1.0: answer HTTP/1.0, without chunked encoding. */
  http10: boolean;
  /** The request was HEAD: headers only. */
  head: boolean;
  /** The connection ends after this response. */
  close: boolean;
}

const REASONS: Record<number, string> = {
  100: 'Continue', 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
  409: 'Conflict', 413: 'Request Entity Too Large', 417: 'Expectation Failed', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

export function responseHead(status: number, headers: readonly (readonly [string, string])[], shape: ResponseShape): Buffer {
  let text = `HTTP/1.${shape.http10 ? 0 : 1} ${status} ${REASONS[status] ?? 'Status'}\r\n`;
  for (const [k, v] of headers) text += `${k}: ${v}\r\n`;
  if (shape.close) text += 'Connection: close\r\n';
  return Buffer.from(text + '\r\n', 'latin1');
}

/** A complete small JSON response (a Docker-style error, a tag result). */
export function jsonResponse(status: number, value: unknown, shape: ResponseShape): { bytes: Buffer; headers: [string, string][] } {
  const body = Buffer.from(JSON.stringify(value) + '\n');
  const headers: [string, string][] = [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]];
  const head = responseHead(status, headers, shape);
  return { bytes: shape.head ? head : Buffer.concat([head, body]), headers };
}

/** The Docker-style error: `{"message": "..."}` with the status. */
export function dockerError(status: number, message: string, shape: ResponseShape): Buffer {
  return jsonResponse(status, { message }, shape).bytes;
}

export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
