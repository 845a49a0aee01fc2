'use strict';
// The thin vscode-facing layer: commands, the scenario/adventure/card tree view, the story webview
// and the file system that opens card texts. Everything that can be tested without VS Code lives in
// session.js, story.js, tree.js, cards.js and webview.js; this file only maps them onto the vscode API.

const fs = require('fs');
const vscode = require('vscode');
const { DaemonSession, describeError } = require('./session');
const { StoryController, renderStoryHtml, previewToText, usageToText } = require('./story');
const { TreeModel } = require('./tree');
const cards = require('./cards');
const { storyPageHtml } = require('./webview');

const VIEW_ID = 'imaginai.library';

// The story page's buttons and the commands they run.
const WEBVIEW_COMMANDS = {
  continue: 'imaginai.continue',
  retry: 'imaginai.retry',
  undo: 'imaginai.undo',
  redo: 'imaginai.redo',
  cancel: 'imaginai.cancel',
  context: 'imaginai.showContext',
  usage: 'imaginai.showUsage',
};

let state = null; // {context, sessionPromise, tree, panels: Map<adventureId, StoryPanel>, active, output}

// ---------------------------------------------------------------- the daemon


/** What an import left out (`skipped`) or could not keep as written (`warnings`), for its message. */
function importNotes(result) {
  const parts = [];
  const skipped = result.skipped || [];
  const warnings = result.warnings || [];
  if (skipped.length) parts.push(`skipped ${skipped.length}: ${skipped.map((s) => `#${s.index} ${s.reason}`).join('; ')}`);
  if (warnings.length) parts.push(`${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'}: ${warnings.map((w) => `#${w.index} ${w.message}`).join('; ')}`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function config() {
  const c = vscode.workspace.getConfiguration('imaginai');
  return {
    path: c.get('path') || 'imaginai',
    database: c.get('database') || '',
    model: c.get('model') || '',
  };
}

function getSession() {
  if (state.sessionPromise) {
    return state.sessionPromise.then((s) => {
      if (s.alive) return s;
      state.sessionPromise = null;
      return getSession();
    });
  }
  const c = config();
  state.sessionPromise = DaemonSession.start({
    binPath: c.path,
    database: c.database || undefined,
    model: c.model || undefined,
    clientInfo: { name: 'imaginai-vscode', version: '0.1.0' },
    onStderr: (text) => state.output && state.output.append(text),
  });
  state.sessionPromise.catch(() => { state.sessionPromise = null; });
  return state.sessionPromise;
}

async function stopSession() {
  const pending = state && state.sessionPromise;
  if (!pending) return;
  state.sessionPromise = null;
  try {
    const session = await pending;
    await session.close();
  } catch (_) { /* it never started */ }
}

// ---------------------------------------------------------------- the tree view

class LibraryProvider {
  constructor() {
    this.emitter = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.emitter.event;
  }

  refresh() {
    if (state && state.tree) state.tree.invalidate();
    this.emitter.fire(undefined);
  }

  getTreeItem(node) {
    const item = new vscode.TreeItem(
      node.label,
      node.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `${node.kind}:${node.id}`;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.kind;
    if (node.kind === 'adventure') {
      item.iconPath = new vscode.ThemeIcon('book');
      item.command = { command: 'imaginai.resumeAdventure', title: 'Resume Adventure', arguments: [node] };
    } else if (node.kind === 'scenario') {
      item.iconPath = new vscode.ThemeIcon('symbol-class');
    } else if (node.kind === 'cards') {
      item.iconPath = new vscode.ThemeIcon('library');
    } else if (node.kind === 'card') {
      const flags = cards.cardFlags(node.card);
      item.iconPath = new vscode.ThemeIcon(flags.includes('disabled') ? 'circle-slash' : flags.includes('constant') ? 'pinned' : 'note');
      item.command = { command: 'imaginai.editCardRules', title: 'Edit Card Rules', arguments: [node] };
    }
    return item;
  }

  async getChildren(node) {
    try {
      const session = await getSession();
      if (!state.tree || state.tree.session !== session) state.tree = new TreeModel(session);
      return node ? await state.tree.children(node) : await state.tree.roots();
    } catch (err) {
      showError(err);
      return [];
    }
  }
}

// ---------------------------------------------------------------- card texts as documents

/** Serves a card's description and notes as documents; saving one stores it with card/update. */
class CardTextFileSystem {
  constructor() {
    this.emitter = new vscode.EventEmitter();
    this.onDidChangeFile = this.emitter.event;
    // VS Code compares these times to notice a file changed behind an open editor.
    this.mtimes = new Map();
  }

  watch() {
    return { dispose() {} };
  }

  async stat(uri) {
    const text = await cards.readCardText(await getSession(), uri.path);
    if (!this.mtimes.has(uri.path)) this.mtimes.set(uri.path, Date.now());
    return { type: vscode.FileType.File, ctime: 0, mtime: this.mtimes.get(uri.path), size: Buffer.byteLength(text, 'utf8') };
  }

  async readFile(uri) {
    return Buffer.from(await cards.readCardText(await getSession(), uri.path), 'utf8');
  }

  async writeFile(uri, content) {
    const updated = await cards.writeCardText(await getSession(), uri.path, Buffer.from(content).toString('utf8'));
    this.mtimes.set(uri.path, Date.now());
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    refreshTree();
    return updated;
  }

  readDirectory() {
    return [];
  }

  createDirectory() {
    throw vscode.FileSystemError.NoPermissions('card texts have no folders');
  }

  delete() {
    throw vscode.FileSystemError.NoPermissions('delete the card instead');
  }

  rename() {
    throw vscode.FileSystemError.NoPermissions('rename the card with ImaginAI: Edit Card Rules');
  }
}

async function openCardText(owner, card, field) {
  const uri = vscode.Uri.from({ scheme: cards.CARD_TEXT_SCHEME, path: cards.cardTextPath(owner, card, field) });
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

// ---------------------------------------------------------------- the story panel

class StoryPanel {
  constructor(session, adventure) {
    this.adventure = adventure;
    this.controller = new StoryController(session, adventure.id);
    this.error = '';
    this.panel = vscode.window.createWebviewPanel('imaginai.story', adventure.name, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    this.panel.webview.html = storyPageHtml({ title: adventure.name, cspSource: this.panel.webview.cspSource });
    this.disposables = [
      this.panel.webview.onDidReceiveMessage((msg) => this.onMessage(msg)),
      this.panel.onDidDispose(() => this.dispose()),
    ];
    if (this.panel.onDidChangeViewState) {
      this.disposables.push(this.panel.onDidChangeViewState((e) => { if (e.webviewPanel.active) state.active = this; }));
    }
    this.controller.on('change', () => this.postState());
    this.controller.on('chunk', () => this.panel.webview.postMessage({ type: 'stream', text: this.controller.streamedText }));
  }

  postState() {
    this.panel.webview.postMessage({
      type: 'state',
      title: this.adventure.name,
      html: renderStoryHtml(this.controller.items()),
      busy: this.controller.busy,
      error: this.error,
    });
  }

  async load() {
    await this.controller.load();
  }

  async onMessage(msg) {
    state.active = this;
    if (msg.type === 'ready') return this.postState();
    if (msg.type === 'act') return this.run(() => this.controller.act(msg.action, msg.text));
    if (msg.type === 'command' && WEBVIEW_COMMANDS[msg.name]) {
      return vscode.commands.executeCommand(WEBVIEW_COMMANDS[msg.name]);
    }
    return undefined;
  }

  /** Runs a story operation, showing its error in the panel instead of throwing. */
  async run(operation) {
    this.error = '';
    try {
      const result = await operation();
      this.postState();
      refreshTree();
      return result;
    } catch (err) {
      this.error = describeError(err);
      this.postState();
      refreshTree();
      return undefined;
    }
  }

  dispose() {
    if (!state) return;
    state.panels.delete(this.adventure.id);
    if (state.active === this) state.active = null;
    setStoryOpen();
    this.controller.cancel();
    this.disposables.forEach((d) => d && d.dispose && d.dispose());
  }
}

async function openStory(adventureId) {
  const existing = state.panels.get(adventureId);
  if (existing) {
    existing.panel.reveal();
    state.active = existing;
    return existing;
  }
  const session = await getSession();
  const adventure = await session.getAdventure(adventureId);
  const panel = new StoryPanel(session, adventure);
  state.panels.set(adventureId, panel);
  state.active = panel;
  setStoryOpen();
  await panel.load();
  return panel;
}

function activeStory() {
  if (state.active) return state.active;
  const first = state.panels.values().next();
  if (!first.done) return first.value;
  throw new Error('Open an adventure first (ImaginAI: Resume Adventure).');
}

// ---------------------------------------------------------------- helpers

/** The `imaginai.storyOpen` context key shows the story commands in the command palette. */
function setStoryOpen() {
  vscode.commands.executeCommand('setContext', 'imaginai.storyOpen', state.panels.size > 0);
}

function refreshTree() {
  if (state && state.provider) state.provider.refresh();
}

function showError(err) {
  vscode.window.showErrorMessage(`ImaginAI: ${describeError(err)}`);
}

async function showText(content, language = 'plaintext') {
  const doc = await vscode.workspace.openTextDocument({ content, language });
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

async function pickScenario(session) {
  const scenarios = await session.allScenarios();
  const picked = await vscode.window.showQuickPick(
    scenarios.map((s) => ({ label: s.name, description: s.tags.join(', '), detail: s.playerDescription, id: s.id })),
    { placeHolder: 'Scenario to start an adventure from', matchOnDetail: true },
  );
  return picked && picked.id;
}

async function pickAdventure(session) {
  const adventures = await session.allAdventures();
  const picked = await vscode.window.showQuickPick(
    adventures.map((a) => ({ label: a.name, description: `${a.scenarioName} · ${a.turnCount} turns`, detail: a.excerpt, id: a.id })),
    { placeHolder: 'Adventure to resume', matchOnDetail: true },
  );
  return picked && picked.id;
}

async function readJsonOrText(uri) {
  const text = fs.readFileSync(uri.fsPath, 'utf8');
  try {
    return JSON.parse(text);
  } catch (_) {
    return text; // the daemon reads some formats from their text
  }
}

/** The owner whose cards a command works on: the node's, else the open story's, else a picked scenario's. */
async function cardOwner(session, node) {
  if (node && node.kind === 'scenario') return { scenarioId: node.id };
  if (node && node.kind === 'cards') return node.owner;
  if (node && node.kind === 'adventure') return { adventureId: node.id };
  if (state.active) return { adventureId: state.active.adventure.id };
  const id = await pickScenario(session);
  return id ? { scenarioId: id } : undefined;
}

async function pickCard(session, owner) {
  const holder = owner.scenarioId ? await session.getScenario(owner.scenarioId) : await session.getAdventure(owner.adventureId);
  if (!holder.cards.length) {
    vscode.window.showInformationMessage(`"${holder.name}" has no cards.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    holder.cards.map((card) => ({ label: card.name, description: cards.cardSummary(card), detail: card.keys.join(', '), card })),
    { placeHolder: `Card of "${holder.name}" to edit`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked && picked.card;
}

/**
 * Asks for a new value of one field: a pick for true/false and the named choices, an input box that
 * checks what is typed for the rest. Resolves with the typed text, or undefined when dismissed.
 */
async function askFieldValue(card, field) {
  const current = cards.formatValue(field.name, card[field.name]);
  if (field.kind === 'bool' || field.kind === 'enum') {
    const values = field.kind === 'bool' ? ['true', 'false'] : field.values;
    const picked = await vscode.window.showQuickPick(
      values.map((v) => ({ label: v, description: v === current ? '(current)' : field.choices ? field.choices[v] : '', value: v })),
      { placeHolder: `${card.name} — ${field.name}: ${field.help}` },
    );
    return picked && picked.value;
  }
  return vscode.window.showInputBox({
    prompt: `${card.name} — ${field.name}: ${field.help}`,
    value: current,
    ignoreFocusOut: true,
    validateInput: (text) => cards.validateFieldInput(field.name, text),
  });
}

/**
 * Shows a card's fields with their values; each picked field is asked for and stored at once with
 * card/update (only that field), until the picker is dismissed. Description and notes open as documents.
 */
async function editCardRules(node) {
  const session = await getSession();
  const owner = node && node.kind === 'card' ? node.owner : await cardOwner(session, node);
  if (!owner) return undefined;
  const picked = node && node.kind === 'card' ? node.card : await pickCard(session, owner);
  if (!picked) return undefined;
  let card = await cards.fetchCard(session, owner, picked.id);
  for (;;) {
    const choice = await vscode.window.showQuickPick(
      cards.CARD_FIELDS.map((f) => ({ label: f.name, description: cards.describeValue(f.name, card[f.name]), detail: f.help, field: f })),
      { placeHolder: `${card.name}: pick a field to change (Escape when done)`, matchOnDescription: true },
    );
    if (!choice) return card;
    const field = choice.field;
    if (field.kind === 'multiline') {
      await openCardText(owner, card, field.name);
      return card;
    }
    const text = await askFieldValue(card, field);
    if (text === undefined) continue;
    let changes;
    try {
      changes = cards.buildChanges(card, { [field.name]: text });
    } catch (err) {
      showError(err);
      continue;
    }
    if (Object.keys(changes).length === 0) continue;
    try {
      card = await session.updateCard(card.id, changes);
      refreshTree();
    } catch (err) {
      showError(err);
    }
  }
}

// ---------------------------------------------------------------- commands

const ACTIONS = { do: 'What do you do?', say: 'What do you say?', story: 'What happens next?' };

function actCommand(kind) {
  return async (text) => {
    const panel = activeStory();
    if (typeof text !== 'string') text = await vscode.window.showInputBox({ prompt: ACTIONS[kind], ignoreFocusOut: true });
    if (!text || !text.trim()) return undefined;
    return panel.run(() => panel.controller.act(kind, text));
  };
}

const COMMANDS = {
  'imaginai.startAdventure': async (node) => {
    const session = await getSession();
    const scenarioId = node && node.kind === 'scenario' ? node.id : await pickScenario(session);
    if (!scenarioId) return undefined;
    const name = await vscode.window.showInputBox({ prompt: 'Name of the new adventure (empty: the scenario\'s name)' });
    if (name === undefined) return undefined;
    const adventure = await session.startAdventure(scenarioId, name.trim() || undefined);
    refreshTree();
    return openStory(adventure.id);
  },
  'imaginai.resumeAdventure': async (node) => {
    const session = await getSession();
    const id = node && node.kind === 'adventure' ? node.id : typeof node === 'string' ? node : await pickAdventure(session);
    return id ? openStory(id) : undefined;
  },
  'imaginai.do': actCommand('do'),
  'imaginai.say': actCommand('say'),
  'imaginai.story': actCommand('story'),
  'imaginai.continue': () => { const p = activeStory(); return p.run(() => p.controller.continueStory()); },
  'imaginai.retry': () => { const p = activeStory(); return p.run(() => p.controller.retry()); },
  'imaginai.undo': () => { const p = activeStory(); return p.run(() => p.controller.undo()); },
  'imaginai.redo': () => { const p = activeStory(); return p.run(() => p.controller.redo()); },
  'imaginai.cancel': () => activeStory().controller.cancel(),
  'imaginai.showContext': async () => {
    const preview = await activeStory().controller.preview();
    return showText(previewToText(preview));
  },
  'imaginai.editSummary': async () => {
    const panel = activeStory();
    const adventure = await (await getSession()).getAdventure(panel.adventure.id);
    const uri = vscode.Uri.from({ scheme: cards.CARD_TEXT_SCHEME, path: cards.summaryPath(adventure) });
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: false });
  },
  'imaginai.summaryVersions': async () => {
    const panel = activeStory();
    const session = await getSession();
    const { versions } = await session.summaryVersions(panel.adventure.id);
    if (versions.length === 0) {
      vscode.window.showInformationMessage(`"${panel.adventure.name}" has no summary yet.`);
      return undefined;
    }
    const items = versions.map((v) => ({
      label: `${v.source} · ${v.createdAt}${v.current ? ' (current)' : ''}`,
      description: v.text.split('\n')[0] || '(empty)',
      version: v,
    }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Take back which summary? (it becomes the newest version)' });
    if (!picked) return undefined;
    const updated = await session.updateAdventure(panel.adventure.id, { summary: picked.version.text });
    vscode.window.showInformationMessage(`Summary of "${updated.name}" taken back to version ${picked.version.version}.`);
    return updated;
  },
  'imaginai.showUsage': async () => {
    const panel = activeStory();
    const usage = await panel.controller.usage();
    return showText(`Usage of "${panel.adventure.name}"\n\n${usageToText(usage)}`);
  },
  'imaginai.importScenario': async () => {
    const session = await getSession();
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import scenario', filters: { 'Scenario or card book': ['json', 'lorebook', 'txt'], 'All files': ['*'] } });
    if (!uris || !uris.length) return undefined;
    const scenario = await session.importScenario(await readJsonOrText(uris[0]), undefined, uris[0].fsPath);
    refreshTree();
    vscode.window.showInformationMessage(`Imported "${scenario.name}" with ${scenario.cards.length} cards${importNotes(scenario)}.`);
    return scenario;
  },
  'imaginai.importCards': async (node) => {
    const session = await getSession();
    let owner;
    if (node && node.kind === 'scenario') owner = { scenarioId: node.id };
    else if (node && node.kind === 'adventure') owner = { adventureId: node.id };
    else if (state.active) owner = { adventureId: state.active.adventure.id };
    else {
      const id = await pickScenario(session);
      if (!id) return undefined;
      owner = { scenarioId: id };
    }
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import cards' });
    if (!uris || !uris.length) return undefined;
    const mode = await vscode.window.showQuickPick(['append', 'replace'], { placeHolder: 'Add to the existing cards, or replace them?' });
    if (!mode) return undefined;
    const result = await session.importCards(owner, await readJsonOrText(uris[0]), { mode });
    refreshTree();
    vscode.window.showInformationMessage(`Imported ${result.imported} cards (${result.format})${importNotes(result)}.`);
    return result;
  },
  'imaginai.export': async (node) => {
    const session = await getSession();
    const caps = session.initializeResult.capabilities;
    let request;
    let suggested;
    if (node && node.kind === 'adventure') {
      const format = await vscode.window.showQuickPick(caps.cardExportFormats, { placeHolder: 'Card file format' });
      if (!format) return undefined;
      request = () => session.exportCards({ adventureId: node.id }, format);
      suggested = `${node.label} cards.json`;
    } else {
      const id = node && node.kind === 'scenario' ? node.id : await pickScenario(session);
      if (!id) return undefined;
      const format = await vscode.window.showQuickPick(caps.scenarioExportFormats, { placeHolder: 'Scenario file format' });
      if (!format) return undefined;
      request = () => session.exportScenario(id, format);
      suggested = `${(node && node.label) || 'scenario'}.json`;
    }
    const uri = await vscode.window.showSaveDialog({ saveLabel: 'Export', defaultUri: vscode.Uri.file(suggested.replace(/[\\/:*?"<>|]/g, '_')) });
    if (!uri) return undefined;
    const { data } = await request();
    fs.writeFileSync(uri.fsPath, JSON.stringify(data, null, 2) + '\n');
    vscode.window.showInformationMessage(`Exported to ${uri.fsPath}.`);
    return uri;
  },
  'imaginai.editCardRules': (node) => editCardRules(node),
  'imaginai.refresh': () => refreshTree(),
  'imaginai.restartDaemon': async () => {
    for (const panel of [...state.panels.values()]) panel.panel.dispose();
    await stopSession();
    refreshTree();
  },
};

// ---------------------------------------------------------------- activation

function activate(context) {
  state = { context, sessionPromise: null, tree: null, panels: new Map(), active: null, provider: null, output: null };
  if (vscode.window.createOutputChannel) {
    state.output = vscode.window.createOutputChannel('ImaginAI');
    context.subscriptions.push(state.output);
  }
  state.provider = new LibraryProvider();
  context.subscriptions.push(vscode.workspace.registerFileSystemProvider(cards.CARD_TEXT_SCHEME, new CardTextFileSystem(), { isCaseSensitive: true }));
  context.subscriptions.push(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: state.provider, showCollapseAll: true }));
  for (const [name, fn] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(name, async (...args) => {
      try {
        return await fn(...args);
      } catch (err) {
        showError(err);
        return undefined;
      }
    }));
  }
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('imaginai')) {
      COMMANDS['imaginai.restartDaemon']();
    }
  }));
  return { getSession, openStory, commands: Object.keys(COMMANDS) };
}

async function deactivate() {
  if (!state) return;
  for (const panel of [...state.panels.values()]) panel.controller.cancel();
  await stopSession();
  state = null;
}

module.exports = { activate, deactivate, COMMANDS, VIEW_ID, WEBVIEW_COMMANDS };
