'use strict';
// LSP-style framing: "Content-Length: N\r\n\r\n" followed by N bytes of UTF-8 JSON.
// No dependency on the `vscode` module: tested with `node --test`.

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const MAX_HEADER_BYTES = 8 * 1024;

class FramingError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FramingError';
  }
}

/** Encodes one JSON-RPC message (an object or array) as a framed Buffer. */
function encode(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'latin1');
  return Buffer.concat([header, body]);
}

/** Parses a header block (without the blank line) into the body length. Throws FramingError. */
function parseHeaders(text) {
  let length = null;
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new FramingError(`header line without a colon: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name !== 'content-length') continue; // other headers (Content-Type) are ignored
    if (!/^\d+$/.test(value)) throw new FramingError(`Content-Length is not a byte count: ${JSON.stringify(value)}`);
    const n = Number(value);
    if (length !== null && length !== n) throw new FramingError('two different Content-Length headers');
    length = n;
  }
  if (length === null) throw new FramingError('header block without Content-Length');
  return length;
}

/**
 * Incremental reader: feed it Buffers as they arrive (split anywhere, several messages per
 * Buffer) and it calls onMessage(parsedJson) once per complete body. A bad header block or a body
 * that is not JSON is reported through onError and skipped; the reader then resynchronises on the
 * next "Content-Length" it finds.
 */
class FrameReader {
  constructor(onMessage, onError = () => {}) {
    this.onMessage = onMessage;
    this.onError = onError;
    this.buffer = Buffer.alloc(0);
    this.expected = null; // body length once the header block has been read
  }

  push(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    for (;;) {
      if (this.expected === null) {
        const end = this.buffer.indexOf(HEADER_END);
        if (end < 0) {
          if (this.buffer.length > MAX_HEADER_BYTES) this._resync(new FramingError('no blank line within 8 KiB'));
          else return;
          continue;
        }
        const headerText = this.buffer.subarray(0, end).toString('latin1');
        try {
          this.expected = parseHeaders(headerText);
        } catch (e) {
          this.buffer = this.buffer.subarray(end + HEADER_END.length);
          this.onError(e);
          continue;
        }
        this.buffer = this.buffer.subarray(end + HEADER_END.length);
      }
      if (this.buffer.length < this.expected) return;
      const body = this.buffer.subarray(0, this.expected);
      this.buffer = this.buffer.subarray(this.expected);
      this.expected = null;
      let message;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch (e) {
        this.onError(new FramingError(`body is not JSON: ${e.message}`));
        continue;
      }
      this.onMessage(message);
    }
  }

  _resync(error) {
    this.onError(error);
    const next = this.buffer.indexOf('Content-Length', 1, 'latin1');
    this.buffer = next < 0 ? Buffer.alloc(0) : this.buffer.subarray(next);
  }
}

module.exports = { encode, parseHeaders, FrameReader, FramingError };
