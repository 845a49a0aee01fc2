'use strict';
// A minimal stand-in for the `vscode` module, injected through the require cache so that
// src/extension.js can be loaded and driven by `node --test` without VS Code.

const Module = require('module');
const path = require('path');

const FAKE_ID = path.join(__dirname, '__fake_vscode__.js');

function createFakeVscode(settings = {}) {
  const log = {
    commands: new Map(),
    contexts: {},
    treeViews: [],
    panels: [],
    errors: [],
    infos: [],
    documents: [],
    configReads: [],
    answers: [], // queued answers for showInputBox / showQuickPick / dialogs, first in first out
  };
  const disposable = () => ({ dispose() {} });

  class EventEmitter {
    constructor() {
      this.listeners = new Set();
      this.event = (fn) => {
        this.listeners.add(fn);
        return { dispose: () => this.listeners.delete(fn) };
      };
    }
    fire(value) { for (const fn of [...this.listeners]) fn(value); }
    dispose() { this.listeners.clear(); }
  }

  class TreeItem {
    constructor(label, collapsibleState) {
      this.label = label;
      this.collapsibleState = collapsibleState;
    }
  }

  function answer(kind) {
    if (log.answers.length === 0) throw new Error(`unexpected ${kind}: no answer queued`);
    return Promise.resolve(log.answers.shift());
  }

  function createWebviewPanel(viewType, title, column, options) {
    const received = new EventEmitter();
    const disposed = new EventEmitter();
    const viewState = new EventEmitter();
    const panel = {
      viewType,
      title,
      options,
      posted: [],
      handlers: [],
      revealed: 0,
      webview: {
        html: '',
        cspSource: 'vscode-resource:',
        postMessage(msg) { panel.posted.push(msg); return Promise.resolve(true); },
        onDidReceiveMessage(fn) { panel.handlers.push(fn); return received.event(fn); },
        asWebviewUri: (u) => u,
      },
      onDidDispose: disposed.event,
      onDidChangeViewState: viewState.event,
      reveal() { panel.revealed += 1; },
      dispose() { disposed.fire(); },
      /** What the page would send; resolves when the extension has handled it. */
      send(msg) { return Promise.all(panel.handlers.map((fn) => fn(msg))); },
    };
    log.panels.push(panel);
    return panel;
  }

  const vscode = {
    EventEmitter,
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class ThemeIcon { constructor(id) { this.id = id; } },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    Uri: { file: (fsPath) => ({ scheme: 'file', fsPath }) },
    commands: {
      registerCommand(name, fn) {
        if (log.commands.has(name)) throw new Error(`command ${name} registered twice`);
        log.commands.set(name, fn);
        return { dispose: () => log.commands.delete(name) };
      },
      executeCommand(name, ...args) {
        if (name === 'setContext') {
          log.contexts[args[0]] = args[1];
          return Promise.resolve();
        }
        const fn = log.commands.get(name);
        if (!fn) return Promise.reject(new Error(`command '${name}' not found`));
        return Promise.resolve(fn(...args));
      },
    },
    window: {
      createTreeView(id, options) {
        log.treeViews.push({ id, options });
        return disposable();
      },
      registerTreeDataProvider(id, provider) {
        log.treeViews.push({ id, options: { treeDataProvider: provider } });
        return disposable();
      },
      createWebviewPanel,
      createOutputChannel: () => ({ append() {}, appendLine() {}, show() {}, dispose() {} }),
      showErrorMessage: (m) => { log.errors.push(m); return Promise.resolve(); },
      showInformationMessage: (m) => { log.infos.push(m); return Promise.resolve(); },
      showWarningMessage: (m) => { log.infos.push(m); return Promise.resolve(); },
      showInputBox: () => answer('showInputBox'),
      showQuickPick: () => answer('showQuickPick'),
      showOpenDialog: () => answer('showOpenDialog'),
      showSaveDialog: () => answer('showSaveDialog'),
      showTextDocument: (doc) => Promise.resolve(doc),
    },
    workspace: {
      getConfiguration(section) {
        return {
          get(key, fallback) {
            const full = section ? `${section}.${key}` : key;
            log.configReads.push(full);
            return full in settings ? settings[full] : fallback;
          },
        };
      },
      onDidChangeConfiguration: () => disposable(),
      openTextDocument(options) {
        const doc = { ...options, getText: () => options.content };
        log.documents.push(doc);
        return Promise.resolve(doc);
      },
    },
  };
  return { vscode, log };
}

/**
 * Loads src/extension.js with `vscode` resolved to a fresh fake. Returns {extension, vscode, log}.
 */
function loadExtension(settings) {
  const { vscode, log } = createFakeVscode(settings);
  const originalResolve = Module._resolveFilename;
  if (!Module._resolveFilename.__imaginaiFake) {
    const patched = function (request, ...rest) {
      if (request === 'vscode') return FAKE_ID;
      return originalResolve.call(this, request, ...rest);
    };
    patched.__imaginaiFake = true;
    Module._resolveFilename = patched;
  }
  require.cache[FAKE_ID] = { id: FAKE_ID, filename: FAKE_ID, loaded: true, exports: vscode };
  const extPath = require.resolve('../src/extension');
  delete require.cache[extPath];
  const extension = require(extPath);
  return { extension, vscode, log };
}

module.exports = { loadExtension, createFakeVscode };
