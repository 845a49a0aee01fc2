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
    answers: [], // queued answers for showInputBox / showQuickPick / dialogs, first in first out;
    // an answer that is a function is called with what the user would see (items and options, or the
    // input box's options) and gives the answer
    prompts: [], // {kind, items, options} of every quick pick and input box shown
    validations: [], // what an input box's validateInput said of the answer typed into it
    fileSystems: {}, // scheme -> provider
    modals: [], // {message, options, items} of every warning or information message that offered buttons
    warnings: [], // every warning message, buttons or not
    configUpdates: [], // {key, value, target} of every configuration change the extension made
  };
  const configListeners = new Set();
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

  function answer(kind, ...shown) {
    if (log.answers.length === 0) throw new Error(`unexpected ${kind}: no answer queued`);
    const next = log.answers.shift();
    return Promise.resolve(typeof next === 'function' ? next(...shown) : next);
  }

  async function quickPick(items, options = {}) {
    const list = await items;
    log.prompts.push({ kind: 'quickPick', items: list, options });
    return answer('showQuickPick', list, options);
  }

  // Like VS Code: an answer that validateInput refuses is never returned (the user gives up instead).
  async function inputBox(options = {}) {
    log.prompts.push({ kind: 'inputBox', options });
    const typed = await answer('showInputBox', options);
    if (typeof typed === 'string' && options.validateInput) {
      const verdict = await options.validateInput(typed);
      log.validations.push({ typed, verdict });
      if (verdict) return undefined;
    }
    return typed;
  }

  function uri(parts) {
    return { ...parts, toString: () => `${parts.scheme}:${parts.path || parts.fsPath}` };
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

  /** Fires onDidChangeConfiguration for these keys; resolves when every listener has run. */
  function changeConfiguration(keys) {
    const event = { affectsConfiguration: (name) => keys.some((k) => k === name || k.startsWith(`${name}.`)) };
    return Promise.all([...configListeners].map((fn) => fn(event)));
  }
  log.setConfiguration = (values) => {
    Object.assign(settings, values);
    return changeConfiguration(Object.keys(values));
  };

  const vscode = {
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    EventEmitter,
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class ThemeIcon { constructor(id) { this.id = id; } },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    Uri: { file: (fsPath) => uri({ scheme: 'file', fsPath }), from: (parts) => uri({ ...parts }) },
    FileType: { Unknown: 0, File: 1, Directory: 2 },
    FileChangeType: { Changed: 1, Created: 2, Deleted: 3 },
    FileSystemError: { NoPermissions: (m) => new Error(`NoPermissions: ${m}`), FileNotFound: (m) => new Error(`FileNotFound: ${m}`) },
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
      // With buttons (a confirmation): the queued answer is the button pressed (undefined: dismissed).
      showWarningMessage: (m, ...rest) => {
        log.warnings.push(m);
        const options = rest.length && typeof rest[0] === 'object' && rest[0] !== null ? rest.shift() : {};
        if (rest.length === 0) return Promise.resolve();
        log.modals.push({ message: m, options, items: rest });
        return answer('showWarningMessage', m, options, rest);
      },
      showInputBox: inputBox,
      showQuickPick: quickPick,
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
          // Like VS Code: the value is stored, then every listener hears which settings changed.
          update(key, value, target) {
            const full = section ? `${section}.${key}` : key;
            log.configUpdates.push({ key: full, value, target });
            settings[full] = value;
            return changeConfiguration([full]);
          },
        };
      },
      onDidChangeConfiguration(fn) {
        configListeners.add(fn);
        return { dispose: () => configListeners.delete(fn) };
      },
      async openTextDocument(options) {
        let doc;
        if (options.scheme && options.scheme !== 'file') {
          // a document of a registered file system: its text is what the provider reads
          const provider = log.fileSystems[options.scheme];
          if (!provider) throw new Error(`no file system provider for ${options.scheme}`);
          const content = Buffer.from(await provider.readFile(options)).toString('utf8');
          doc = { uri: options, content, getText: () => content };
        } else {
          doc = { ...options, getText: () => options.content };
        }
        log.documents.push(doc);
        return doc;
      },
      registerFileSystemProvider(scheme, provider) {
        log.fileSystems[scheme] = provider;
        return { dispose: () => delete log.fileSystems[scheme] };
      },
    },
  };
  return { vscode, log };
}

/**
 * Loads the extension (src/extension.js, or the main of an unpacked .vsix) with `vscode` resolved to a
 * fresh fake. Returns {extension, vscode, log}.
 */
function loadExtension(settings, extensionMain = path.join(__dirname, '..', 'src', 'extension.js')) {
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
  const extPath = require.resolve(extensionMain);
  // a fresh copy of the extension and its modules for every load, so no state leaks between loads
  const folder = path.dirname(extPath);
  for (const id of Object.keys(require.cache)) if (id.startsWith(folder + path.sep)) delete require.cache[id];
  const extension = require(extPath);
  return { extension, vscode, log };
}

module.exports = { loadExtension, createFakeVscode };
