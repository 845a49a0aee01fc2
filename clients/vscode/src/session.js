'use strict';
// A daemon session: spawns `imaginai serve`, runs the LSP-style lifecycle
// (initialize → initialized … shutdown → exit) and offers one method per protocol method.
// No dependency on the `vscode` module.

const { spawn } = require('child_process');
const { RpcClient, RpcError, ErrorCodes } = require('./client');

const GENERATING = new Set(['story/act', 'story/continue', 'story/retry']);

class DaemonSession {
  /**
   * Spawns the daemon and initializes the session.
   * @param {object} options
   * @param {string} [options.binPath='imaginai'] the imaginai binary (found on PATH by default)
   * @param {string} [options.database] --db PATH (':memory:' for tests); default: the daemon's own
   * @param {string} [options.model] if set, Settings.model is changed to it after initialize
   * @param {string[]} [options.extraArgs]
   * @param {object} [options.clientInfo]
   * @param {(line:string)=>void} [options.onStderr] where the daemon's log lines go
   */
  static async start(options = {}) {
    const args = ['serve'];
    if (options.database) args.push('--db', options.database);
    if (options.extraArgs) args.push(...options.extraArgs);
    const child = spawn(options.binPath || 'imaginai', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env || process.env,
    });
    const session = new DaemonSession(child, options);
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    session.initializeResult = await session.client.request('initialize', {
      clientInfo: options.clientInfo || { name: 'imaginai-vscode', version: '0.1.0' },
    });
    session.client.notify('initialized');
    if (options.model) await session.updateSettings({ model: options.model });
    return session;
  }

  constructor(child, options = {}) {
    this.child = child;
    this.client = new RpcClient(child.stdout, child.stdin);
    this.stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      this.stderr = (this.stderr + text).slice(-20000);
      if (options.onStderr) options.onStderr(text);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exitCode = null;
    this.exited.then(({ code }) => { this.exitCode = code; });
    this.chunkListeners = new Map(); // requestId -> fn(chunk)
    this.client.onNotification('story/chunk', (params) => {
      const fn = params && this.chunkListeners.get(params.requestId);
      if (fn) fn(params);
    });
  }

  get alive() {
    return this.exitCode === null && !this.client.closed;
  }

  /** Any request; resolves with its result or rejects with RpcError. */
  request(method, params) {
    return this.client.request(method, params);
  }

  /**
   * Starts a story generation (story/act, story/continue, story/retry). Returns
   * {id, result, cancel}; onChunk receives each story/chunk's params ({requestId, adventureId, seq,
   * text}) before `result` settles.
   */
  generate(method, params, onChunk) {
    if (!GENERATING.has(method)) throw new Error(`${method} is not a story generation method`);
    const handle = this.client.start(method, params);
    if (onChunk) this.chunkListeners.set(handle.id, onChunk);
    const done = () => this.chunkListeners.delete(handle.id);
    handle.result.then(done, done);
    return handle;
  }

  /** shutdown, then exit; resolves with the process's exit code. */
  async close(timeoutMs = 5000) {
    if (this.alive) {
      try {
        await this.client.request('shutdown');
        this.client.notify('exit');
      } catch (_) { /* the daemon is gone already */ }
      this.child.stdin.end();
    }
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve(null);
      }, timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return result ? result.code : null;
  }

  // ---- scenarios
  listScenarios(params = {}) { return this.request('scenario/list', params); }
  getScenario(id) { return this.request('scenario/get', { id }); }
  createScenario(scenario) { return this.request('scenario/create', { scenario }); }
  updateScenario(id, changes) { return this.request('scenario/update', { id, changes }); }
  deleteScenario(id) { return this.request('scenario/delete', { id }); }
  duplicateScenario(id, name) { return this.request('scenario/duplicate', name ? { id, name } : { id }); }
  exportScenario(id, format) { return this.request('scenario/export', format ? { id, format } : { id }); }
  // fileName names the scenario when the file has no title of its own.
  importScenario(data, format, fileName) {
    return this.request('scenario/import', { data, ...(format ? { format } : {}), ...(fileName ? { fileName } : {}) });
  }
  // ---- cards (owner: {scenarioId} or {adventureId})
  createCard(owner, card) { return this.request('card/create', { ...owner, card }); }
  updateCard(id, changes) { return this.request('card/update', { id, changes }); }
  deleteCard(id) { return this.request('card/delete', { id }); }
  duplicateCard(id) { return this.request('card/duplicate', { id }); }
  exportCards(owner, format) { return this.request('cards/export', { ...owner, format }); }
  importCards(owner, data, options = {}) { return this.request('cards/import', { ...owner, data, ...options }); }
  // ---- adventures
  startAdventure(scenarioId, name) { return this.request('adventure/start', name ? { scenarioId, name } : { scenarioId }); }
  listAdventures(params = {}) { return this.request('adventure/list', params); }
  getAdventure(id) { return this.request('adventure/get', { id }); }
  updateAdventure(id, changes) { return this.request('adventure/update', { id, changes }); }
  summaryVersions(adventureId) { return this.request('adventure/summaryVersions', { adventureId }); }
  duplicateAdventure(id, options = {}) { return this.request('adventure/duplicate', { id, ...options }); }
  deleteAdventure(id) { return this.request('adventure/delete', { id }); }
  restartAdventure(id) { return this.request('adventure/restart', { id }); }
  /** Every adventure summary, paging through adventure/list. */
  async allAdventures() {
    const limit = (this.initializeResult && this.initializeResult.capabilities.limits.maxListLimit) || 500;
    const out = [];
    for (let offset = 0; ; offset += limit) {
      const page = await this.listAdventures({ limit, offset });
      out.push(...page.adventures);
      if (page.adventures.length < limit || out.length >= page.total) return out;
    }
  }
  /** Every scenario summary, paging through scenario/list. */
  async allScenarios() {
    const limit = (this.initializeResult && this.initializeResult.capabilities.limits.maxListLimit) || 500;
    const out = [];
    for (let offset = 0; ; offset += limit) {
      const page = await this.listScenarios({ limit, offset });
      out.push(...page.scenarios);
      if (page.scenarios.length < limit || out.length >= page.total) return out;
    }
  }
  // ---- turns
  listTurns(adventureId, options = {}) { return this.request('turn/list', { adventureId, ...options }); }
  editTurn(id, text) { return this.request('turn/edit', { id, text }); }
  deleteTurn(id) { return this.request('turn/delete', { id }); }
  turnVersions(id) { return this.request('turn/versions', { id }); }
  useTurnVersion(id, version) { return this.request('turn/useVersion', { id, version }); }
  // ---- settings, models, usage
  getSettings() { return this.request('settings/get'); }
  updateSettings(changes) { return this.request('settings/update', { changes }); }
  listModels() { return this.request('models/list'); }
  usage(adventureId) { return this.request('usage/get', { adventureId }); }
  // ---- story
  act(adventureId, action, text, onChunk) { return this.generate('story/act', { adventureId, action, text }, onChunk); }
  continueStory(adventureId, onChunk) { return this.generate('story/continue', { adventureId }, onChunk); }
  retry(adventureId, onChunk) { return this.generate('story/retry', { adventureId }, onChunk); }
  undo(adventureId) { return this.request('story/undo', { adventureId }); }
  redo(adventureId) { return this.request('story/redo', { adventureId }); }
  preview(adventureId, action, text) {
    const params = { adventureId };
    if (action) params.action = action;
    if (text) params.text = text;
    return this.request('story/preview', params);
  }
}

/** A one-line message fit to show a user for any error this layer raises. */
function describeError(err) {
  if (err instanceof RpcError) {
    switch (err.code) {
      case ErrorCodes.NotFound:
        return err.data && err.data.kind ? `No ${err.data.kind} with id ${err.data.id} (it may have been deleted).` : err.message;
      case ErrorCodes.Conflict:
        return err.data && err.data.adventureId ? 'The story is still being generated; wait or cancel it first.' : err.message;
      case ErrorCodes.RequestCancelled:
        return 'Cancelled.';
      case ErrorCodes.InvalidParams:
        return err.data && err.data.field ? `${err.message} (${err.data.field})` : err.message;
      case ErrorCodes.ProviderFailure:
        return `The model failed: ${err.message}`;
      default:
        return err.message;
    }
  }
  if (err && err.code === 'ENOENT') return `Cannot start the imaginai daemon: ${err.path || 'binary'} not found (set imaginai.path).`;
  return (err && err.message) || String(err);
}

module.exports = { DaemonSession, describeError };
