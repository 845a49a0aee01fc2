// The page's only channel to the daemon: JSON-RPC 2.0 over the bridge's WebSocket, one message per text
// frame (no LSP headers), the same messages every other client sends (Protocol/PROTOCOL.md).

export class RpcError extends Error {
  constructor(error, method) {
    super(error.message);
    this.name = 'RpcError';
    this.code = error.code;
    this.data = error.data ?? null;
    this.method = method;
  }
}

/** Opens the socket, initializes, and resolves to a connected `Rpc`. */
export function connect({ url = defaultUrl(), clientName = 'imaginai-web' } = {}) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const rpc = new Rpc(socket);
    socket.addEventListener('open', async () => {
      try {
        rpc.initializeResult = await rpc.request('initialize', {
          processId: null,
          clientInfo: { name: clientName, version: '0.1.0' },
        });
        rpc.notify('initialized', {});
        resolve(rpc);
      } catch (error) {
        reject(error);
      }
    }, { once: true });
    socket.addEventListener('error', () => reject(new Error(`could not open ${url}`)), { once: true });
  });
}

function defaultUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/rpc`;
}

export class Rpc {
  constructor(socket) {
    this.socket = socket;
    this.initializeResult = null;
    this.nextId = 1;
    this.pending = new Map();     // id -> {resolve, reject, method, onChunk}
    this.listeners = new Map();   // notification method -> Set of handlers
    this.closeHandlers = new Set();
    this.closed = false;
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', (event) => this.close(event));
  }

  /**
   * Sends a request; resolves to its result, rejects with an `RpcError`.
   * `onChunk(params)` sees this request's `story/chunk` notifications, which arrive before the answer.
   * An aborted `signal` sends `$/cancelRequest` (the daemon then answers -32800, or with what it kept).
   */
  request(method, params, { onChunk, signal } = {}) {
    if (this.closed) return Promise.reject(new Error('the connection to imaginai is closed'));
    const id = this.nextId++;
    const message = { jsonrpc: '2.0', id, method };
    if (params !== undefined) message.params = params;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method, onChunk });
      if (signal) {
        if (signal.aborted) queueMicrotask(() => this.cancel(id));
        else signal.addEventListener('abort', () => this.cancel(id), { once: true });
      }
      this.socket.send(JSON.stringify(message));
    });
  }

  notify(method, params) {
    if (this.closed) return;
    const message = { jsonrpc: '2.0', method };
    if (params !== undefined) message.params = params;
    this.socket.send(JSON.stringify(message));
  }

  cancel(id) {
    if (this.pending.has(id)) this.notify('$/cancelRequest', { id });
  }

  /** Subscribes to a server notification (`library/changed`, `story/chunk`); returns the unsubscribe. */
  on(method, handler) {
    if (!this.listeners.has(method)) this.listeners.set(method, new Set());
    this.listeners.get(method).add(handler);
    return () => this.listeners.get(method)?.delete(handler);
  }

  onClose(handler) {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      console.error('imaginai: a message that is not JSON', text);
      return;
    }
    if (message.id !== undefined && message.method === undefined) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new RpcError(message.error, waiting.method));
      else waiting.resolve(message.result);
      return;
    }
    if (message.method === 'story/chunk') {
      const waiting = this.pending.get(message.params?.requestId);
      waiting?.onChunk?.(message.params);
    }
    for (const handler of this.listeners.get(message.method) ?? []) {
      try {
        handler(message.params);
      } catch (error) {
        console.error(`imaginai: a ${message.method} handler failed`, error);
      }
    }
  }

  close(event) {
    if (this.closed) return;
    this.closed = true;
    const reason = new Error(`the connection to imaginai closed (${event?.code ?? 'no code'})`);
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
    for (const handler of this.closeHandlers) handler(event);
  }
}
