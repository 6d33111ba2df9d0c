// Percent-decoding for what clients send: a malformed escape is kept as written rather than
// failing the request (the engine decides what it means). Never throws.

export function decodeOrKeep(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
