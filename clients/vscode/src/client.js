'use strict';
// A JSON-RPC 2.0 client over a pair of byte streams with LSP framing.
// Requests are matched to responses by id; notifications go to handlers by method;
// a running request is cancelled with the $/cancelRequest notification.
// No dependency on the `vscode` module.

const { encode, FrameReader } = require('./framing');

/** A JSON-RPC error response, carrying its code and data. */
class RpcError extends Error {
  constructor(code, message, data, method) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
    this.method = method;
  }
}

const ErrorCodes = Object.freeze({
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ServerNotInitialized: -32002,
  RequestCancelled: -32800,
  NotFound: -31001,
  Conflict: -31002,
  ProviderFailure: -31003,
  TooLarge: -31004,
});

/** Raised for every pending request when the connection closes before it was answered. */
class ConnectionClosedError extends Error {
  constructor(message = 'The imaginai daemon connection closed') {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

class RpcClient {
  /**
   * @param {import('stream').Readable} input  the server's stdout
   * @param {import('stream').Writable} output the server's stdin
   */
  constructor(input, output) {
    this.output = output;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, method}
    this.handlers = new Map(); // method -> Set<fn(params)>
    this.closed = false;
    this.protocolErrors = [];
    this.reader = new FrameReader(
      (msg) => this._dispatch(msg),
      (err) => this.protocolErrors.push(err),
    );
    input.on('data', (chunk) => this.reader.push(chunk));
    input.on('end', () => this._close());
    input.on('close', () => this._close());
    if (output.on) output.on('error', (e) => this._close(e));
  }

  /**
   * Sends a request. Returns {id, result, cancel}: `result` is a Promise of the result (rejected
   * with RpcError), `cancel()` sends $/cancelRequest for this id.
   */
  start(method, params) {
    const id = this.nextId++;
    const result = new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectionClosedError());
        return;
      }
      this.pending.set(id, { resolve, reject, method });
    });
    const message = { jsonrpc: '2.0', id, method };
    if (params !== undefined) message.params = params;
    if (!this.closed) this._write(message);
    return { id, method, result, cancel: () => this.cancel(id) };
  }

  /** Sends a request and resolves with its result. */
  request(method, params) {
    return this.start(method, params).result;
  }

  /** Sends a notification (no id, no answer). */
  notify(method, params) {
    const message = { jsonrpc: '2.0', method };
    if (params !== undefined) message.params = params;
    this._write(message);
  }

  /** Asks the server to stop the request with this id; it still gets its (-32800) response. */
  cancel(id) {
    if (this.pending.has(id)) this.notify('$/cancelRequest', { id });
  }

  /** Registers a notification handler; returns a function that removes it. */
  onNotification(method, handler) {
    if (!this.handlers.has(method)) this.handlers.set(method, new Set());
    this.handlers.get(method).add(handler);
    return () => this.handlers.get(method).delete(handler);
  }

  _write(message) {
    if (this.closed) return;
    try {
      this.output.write(encode(message));
    } catch (e) {
      this._close(e);
    }
  }

  _dispatch(msg) {
    if (Array.isArray(msg)) {
      msg.forEach((m) => this._dispatch(m));
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if (typeof msg.method === 'string') {
      if (msg.id !== undefined && msg.id !== null) {
        // The protocol has no server-to-client requests; answer politely.
        this._write({ jsonrpc: '2.0', id: msg.id, error: { code: ErrorCodes.MethodNotFound, message: `Method not found: ${msg.method}` } });
        return;
      }
      const set = this.handlers.get(msg.method);
      if (set) for (const fn of [...set]) fn(msg.params);
      return;
    }
    const entry = this.pending.get(msg.id);
    if (!entry) {
      if (msg.error) this.protocolErrors.push(new RpcError(msg.error.code, msg.error.message, msg.error.data));
      return;
    }
    this.pending.delete(msg.id);
    if (msg.error) entry.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data, entry.method));
    else entry.resolve(msg.result === undefined ? null : msg.result);
  }

  _close(error) {
    if (this.closed) return;
    this.closed = true;
    for (const [, entry] of this.pending) entry.reject(new ConnectionClosedError(error ? error.message : undefined));
    this.pending.clear();
  }
}

module.exports = { RpcClient, RpcError, ErrorCodes, ConnectionClosedError };
