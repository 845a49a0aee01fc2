'use strict';
// The thin vscode-facing layer: commands, the scenario/adventure/card tree view, the story webview
// and the file system that opens card texts. Everything that can be tested without VS Code lives in
// session.js, story.js, tree.js, cards.js and webview.js; this file only maps them onto the vscode API.

const fs = require('fs');
const vscode = require('vscode');
const { DaemonSession, describeError } = require('./session');
const { RpcError, ErrorCodes } = require('./client');
const { StoryController, renderStoryHtml, previewToText, usageToText } = require('./story');
const settingsModel = require('./settings');
const { TreeModel } = require('./tree');
const cards = require('./cards');
const { storyPageHtml } = require('./webview');

const VIEW_ID = 'imaginai.library';
// The story view's webview type; keybindings are scoped to it with `activeWebviewPanelId`.
const STORY_VIEW_TYPE = 'imaginai.story';

// The story page's buttons and the commands they run.
const WEBVIEW_COMMANDS = {
  continue: 'imaginai.continue',
  retry: 'imaginai.retry',
  undo: 'imaginai.undo',
  redo: 'imaginai.redo',
  cancel: 'imaginai.cancel',
  context: 'imaginai.showContext',
  usage: 'imaginai.showUsage',
  previousVersion: 'imaginai.previousVersion',
  nextVersion: 'imaginai.nextVersion',
};

// library/changed notifications arrive in bursts (one import: hundreds); the views refresh once per
// burst, this long after its first notification.
const SYNC_COALESCE_MS = 50;

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
  state.sessionPromise.then((session) => {
    session.client.onNotification('library/changed', (params) => onLibraryChanged(params));
  }, () => { state.sessionPromise = null; });
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
    this.uris = new Map(); // path -> uri of every document served, for changedElsewhere
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
    this.uris.set(uri.path, uri);
    return Buffer.from(await cards.readCardText(await getSession(), uri.path), 'utf8');
  }

  async writeFile(uri, content) {
    const updated = await cards.writeCardText(await getSession(), uri.path, Buffer.from(content).toString('utf8'));
    this.mtimes.set(uri.path, Date.now());
    this.uris.set(uri.path, uri);
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    refreshTree();
    const doc = cards.parseDocumentPath(uri.path);
    if (doc.kind === 'turn') {
      const panel = state.panels.get(doc.adventureId);
      if (panel) panel.controller.replaceTurn(updated);
    }
    return updated;
  }

  /**
   * Tells VS Code that documents served from rows another process changed are stale, so that an open
   * editor without unsaved edits shows the new text (one with unsaved edits keeps them and says so).
   */
  changedElsewhere(changes) {
    const ids = new Set(changes.map((c) => c.id));
    const settingsChanged = changes.some((c) => c.kind === 'settings');
    const events = [];
    for (const [path, uri] of this.uris) {
      let doc;
      try { doc = cards.parseDocumentPath(path); } catch (_) { continue; }
      const hit = doc.kind === 'settings' ? settingsChanged
        : [doc.cardId, doc.turnId, doc.id, doc.adventureId].some((id) => id !== undefined && ids.has(id));
      if (!hit) continue;
      this.mtimes.set(path, Date.now());
      events.push({ type: vscode.FileChangeType.Changed, uri });
    }
    if (events.length) this.emitter.fire(events);
    return events.length;
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
    this.note = ''; // a passing fact for the status line, e.g. which retry version is shown
    this.gone = ''; // why the adventure can no longer be played here (deleted elsewhere)
    this.stale = false; // changed elsewhere while generating: re-read once the generation settles
    this.panel = vscode.window.createWebviewPanel(STORY_VIEW_TYPE, adventure.name, vscode.ViewColumn.Active, {
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
    this.controller.on('change', () => {
      setGenerating();
      this.postState();
    });
    this.controller.on('chunk', () => this.panel.webview.postMessage({ type: 'stream', text: this.controller.streamedText }));
  }

  postState() {
    this.panel.webview.postMessage({
      type: 'state',
      title: this.adventure.name,
      html: renderStoryHtml(this.controller.items()),
      busy: this.controller.busy,
      error: this.gone || this.error,
      note: this.note,
      closed: Boolean(this.gone),
    });
  }

  async load() {
    await this.controller.load();
  }

  /** After a daemon restart: the same adventure through the new session, if that database has it. */
  async attach(session) {
    this.controller.session = session;
    this.error = ''; // the old daemon's "connection closed" is no news once the new one answers
    try {
      this.adventure = await session.getAdventure(this.adventure.id);
      this.gone = '';
      await this.controller.load();
    } catch (err) {
      this.markGone(`"${this.adventure.name}" is not in this database (${describeError(err)}).`);
    }
  }

  /** Another process changed this adventure's turns or fields: show what is stored now. */
  async refreshFromElsewhere() {
    if (this.gone) return;
    if (this.controller.busy) {
      this.stale = true; // the generation's own result comes first; then re-read
      return;
    }
    this.stale = false;
    try {
      this.adventure = await this.controller.session.getAdventure(this.adventure.id);
      this.panel.title = this.adventure.name;
      await this.controller.load();
    } catch (err) {
      if (err instanceof RpcError && err.code === ErrorCodes.NotFound) this.markGone();
      else { this.error = describeError(err); this.postState(); }
    }
  }

  markGone(message) {
    this.gone = message || `"${this.adventure.name}" was deleted in another window; nothing more can be played here. Close this view.`;
    this.controller.cancel();
    this.postState();
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
  async run(operation, note = () => '') {
    this.error = '';
    this.note = '';
    try {
      if (this.gone) throw new Error(this.gone);
      const result = await operation();
      this.note = (await note(result)) || '';
      this.postState();
      return result;
    } catch (err) {
      this.error = describeError(err);
      this.postState();
      return undefined;
    } finally {
      refreshTree();
      if (this.stale && !this.controller.busy) await this.refreshFromElsewhere();
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

/** The story being played: the last story view used, else any open one, else null. */
function playedStory() {
  if (state.active) return state.active;
  const first = state.panels.values().next();
  return first.done ? null : first.value;
}

function activeStory() {
  const panel = playedStory();
  if (panel) return panel;
  throw new Error('Open an adventure first (ImaginAI: Resume Adventure).');
}

// ---------------------------------------------------------------- helpers

/** The `imaginai.storyOpen` context key shows the story commands in the command palette. */
function setStoryOpen() {
  vscode.commands.executeCommand('setContext', 'imaginai.storyOpen', state.panels.size > 0);
  setGenerating();
}

/** `imaginai.generating` enables the Cancel key binding only while a story is being written. */
function setGenerating() {
  if (!state) return;
  const generating = [...state.panels.values()].some((p) => p.controller.busy);
  if (state.generating === generating) return;
  state.generating = generating;
  vscode.commands.executeCommand('setContext', 'imaginai.generating', generating);
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

// Quick picks filter thousands of items well; they get every item at once (no paging) and match on
// the description and detail too, so a card is found by its keys and a scenario by its tags.
async function pickScenario(session, placeHolder = 'Scenario to start an adventure from') {
  const scenarios = await session.allScenarios();
  const picked = await vscode.window.showQuickPick(
    scenarios.map((s) => ({ label: s.name, description: s.tags.join(', '), detail: s.playerDescription, id: s.id })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked && picked.id;
}

async function pickAdventure(session, placeHolder = 'Adventure to resume') {
  const adventures = await session.allAdventures();
  const picked = await vscode.window.showQuickPick(
    adventures.map((a) => ({ label: a.name, description: `${a.scenarioName} · ${a.turnCount} turns`, detail: a.excerpt, id: a.id })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked && picked.id;
}

/**
 * The adventure a command acts on: the tree node's (or an id), else the story being played, else one
 * the user picks. Every prompt and message of the command then names it.
 */
async function targetAdventure(session, node, placeHolder) {
  if (node && node.kind === 'adventure') return session.getAdventure(node.id);
  if (typeof node === 'string') return session.getAdventure(node);
  if (playedStory()) return session.getAdventure(playedStory().adventure.id);
  const id = await pickAdventure(session, placeHolder);
  return id ? session.getAdventure(id) : undefined;
}

/** The scenario a command acts on: the node's, else the played adventure's scenario, else a picked one. */
async function targetScenario(session, node, placeHolder) {
  if (node && node.kind === 'scenario') return session.getScenario(node.id);
  if (node && node.kind === 'cards' && node.owner.scenarioId) return session.getScenario(node.owner.scenarioId);
  if (typeof node === 'string') return session.getScenario(node);
  if (playedStory()) {
    const played = await session.getAdventure(playedStory().adventure.id);
    if (played.scenarioId) return session.getScenario(played.scenarioId);
  }
  const id = await pickScenario(session, placeHolder);
  return id ? session.getScenario(id) : undefined;
}

/** A modal that names what is deleted (or replaced) and what happens to what depends on it; true when confirmed. */
async function confirmDelete(what, detail, button = 'Delete') {
  const answer = await vscode.window.showWarningMessage(`${button} ${what}?`, { modal: true, detail }, button);
  return answer === button;
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** "is"/"are" for a count, so that messages read "its 1 turn is deleted". */
function isAre(n) {
  return n === 1 ? 'is' : 'are';
}

/** The first line of a text, cut at `length` characters with an ellipsis where it was cut. */
function excerpt(text, length) {
  const first = text.split('\n')[0];
  return first.length > length ? `${first.slice(0, length).trimEnd()}…` : first;
}

/** An input box for a name: empty is refused before anything is sent. */
function askName(prompt, value) {
  return vscode.window.showInputBox({
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === '' ? 'A name cannot be empty.' : undefined),
  });
}

function ownerLabel(holder, owner) {
  return `${owner.scenarioId ? 'scenario' : 'adventure'} "${holder.name}"`;
}

async function readOwner(session, owner) {
  return owner.scenarioId ? session.getScenario(owner.scenarioId) : session.getAdventure(owner.adventureId);
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
  if (playedStory()) return { adventureId: playedStory().adventure.id };
  const id = await pickScenario(session, 'Scenario whose cards to use');
  return id ? { scenarioId: id } : undefined;
}

async function pickCard(session, owner, verb = 'edit') {
  const holder = await readOwner(session, owner);
  if (!holder.cards.length) {
    vscode.window.showInformationMessage(`"${holder.name}" has no cards.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    holder.cards.map((card) => ({ label: card.name, description: cards.cardSummary(card), detail: card.keys.join(', '), card })),
    { placeHolder: `Card of ${ownerLabel(holder, owner)} to ${verb}`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked && picked.card;
}

/** {owner, card} a card command acts on: the card node's, else one picked from cardOwner()'s cards. */
async function targetCard(session, node, verb) {
  // the node's copy of the card may predate an edit: act on (and name) the card as stored
  if (node && node.kind === 'card') return { owner: node.owner, card: await cards.fetchCard(session, node.owner, node.id) };
  const owner = await cardOwner(session, node);
  if (!owner) return undefined;
  const card = await pickCard(session, owner, verb);
  return card ? { owner, card } : undefined;
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

// ---------------------------------------------------------------- scenarios, adventures and cards

async function openDocument(path) {
  const uri = vscode.Uri.from({ scheme: cards.CARD_TEXT_SCHEME, path });
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { preview: false });
}

const VISIBILITIES = ['private', 'unlisted', 'public'];

/**
 * A scenario's or an adventure's fields with their values; name, tags and visibility are asked for
 * and stored at once (only that field), the long texts open as documents. Loops until Escape.
 */
async function editHolder(session, kind, holder) {
  const update = (changes) => (kind === 'scenario' ? session.updateScenario(holder.id, changes) : session.updateAdventure(holder.id, changes));
  const textFields = kind === 'adventure' ? [...cards.HOLDER_TEXT_FIELDS, 'summary'] : cards.HOLDER_TEXT_FIELDS;
  for (;;) {
    const items = [
      { label: 'name', description: holder.name, field: 'name' },
      { label: 'tags', description: holder.tags.join(', ') || '(none)', detail: 'comma-separated', field: 'tags' },
      ...(kind === 'scenario' ? [{ label: 'visibility', description: holder.visibility, field: 'visibility' }] : []),
      ...textFields.map((f) => ({ label: f, description: cards.describeValue('notes', holder[f]), detail: 'opens as a document', field: f })),
    ];
    const choice = await vscode.window.showQuickPick(items, { placeHolder: `${kind} "${holder.name}": pick a field to change (Escape when done)`, matchOnDescription: true });
    if (!choice) return holder;
    const field = choice.field;
    if (field === 'summary') return openDocument(cards.summaryPath(holder));
    if (textFields.includes(field)) return openDocument(cards.holderTextPath(kind, holder, field));
    let changes;
    if (field === 'name') {
      const name = await askName(`New name of ${kind} "${holder.name}"`, holder.name);
      if (name === undefined || name.trim() === holder.name) continue;
      changes = { name: name.trim() };
    } else if (field === 'tags') {
      const text = await vscode.window.showInputBox({ prompt: `Tags of ${kind} "${holder.name}", comma-separated`, value: holder.tags.join(', '), ignoreFocusOut: true });
      if (text === undefined) continue;
      changes = { tags: text.split(',').map((t) => t.trim()).filter(Boolean) };
    } else {
      const picked = await vscode.window.showQuickPick(
        VISIBILITIES.map((v) => ({ label: v, description: v === holder.visibility ? '(current)' : '' })),
        { placeHolder: `Visibility of scenario "${holder.name}"` },
      );
      if (!picked || picked.label === holder.visibility) continue;
      changes = { visibility: picked.label };
    }
    try {
      holder = await update(changes);
      refreshTree();
      const panel = kind === 'adventure' && state.panels.get(holder.id);
      if (panel) { panel.adventure = holder; panel.panel.title = holder.name; panel.postState(); }
    } catch (err) {
      showError(err);
    }
  }
}

async function renameHolder(session, kind, holder) {
  if (!holder) return undefined;
  const name = await askName(`New name of ${kind} "${holder.name}"`, holder.name);
  if (name === undefined || name.trim() === holder.name) return undefined;
  const updated = kind === 'scenario'
    ? await session.updateScenario(holder.id, { name: name.trim() })
    : await session.updateAdventure(holder.id, { name: name.trim() });
  refreshTree();
  const panel = kind === 'adventure' && state.panels.get(holder.id);
  if (panel) { panel.adventure = updated; panel.panel.title = updated.name; panel.postState(); }
  vscode.window.showInformationMessage(`Renamed ${kind} "${holder.name}" to "${updated.name}".`);
  return updated;
}

/** A turn of the open story picked from a list, newest first (its index, who wrote it, its start). */
async function pickTurn(panel, placeHolder) {
  const turns = panel.controller.turns;
  if (!turns.length) {
    vscode.window.showInformationMessage(`"${panel.adventure.name}" has no turns.`);
    return undefined;
  }
  const items = turns.slice().reverse().map((t) => ({
    label: `turn ${t.index}`,
    description: t.role === 'ai' ? 'reply' : t.action,
    detail: t.text.split('\n')[0].slice(0, 200) || '(empty)',
    turn: t,
  }));
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true });
  return picked && picked.turn;
}

/** Deletes every turn newest first, then puts the opening scene back (adventure/restart needs no turns). */
async function restartAdventure(session, adventure) {
  const panel = state.panels.get(adventure.id);
  if (panel && panel.controller.busy) throw new Error(`"${adventure.name}" is still being written; cancel first.`);
  const keep = 'Keep a Copy and Restart';
  const answer = await vscode.window.showWarningMessage(
    `Restart "${adventure.name}" from its opening scene?`,
    { modal: true, detail: `Its ${plural(adventure.turnCount, 'turn')} ${isAre(adventure.turnCount)} deleted; the summary is kept. "${keep}" first saves the story as "${adventure.name} (before restart)".` },
    keep, 'Restart',
  );
  if (answer !== keep && answer !== 'Restart') return undefined;
  if (answer === keep) await session.duplicateAdventure(adventure.id, { name: `${adventure.name} (before restart)` });
  const { turns } = await session.listTurns(adventure.id);
  for (const turn of turns.slice().reverse()) await session.deleteTurn(turn.id);
  const restarted = await session.restartAdventure(adventure.id);
  refreshTree();
  if (panel) await panel.refreshFromElsewhere();
  vscode.window.showInformationMessage(`Restarted "${restarted.name}"${answer === keep ? `; the earlier story is "${adventure.name} (before restart)"` : ''}.`);
  return restarted;
}

/** models/list as a quick pick; the picked model becomes Settings.model at once. */
async function selectModel(session) {
  const [{ models }, settings] = await Promise.all([session.listModels(), session.getSettings()]);
  const picked = await vscode.window.showQuickPick(
    models.map((m) => settingsModel.modelItem(m, settings.model)),
    { placeHolder: `Model for every adventure (now ${settings.model}); applies from the next turn`, matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked || picked.model.id === settings.model) return settings;
  const updated = await session.updateSettings({ model: picked.model.id });
  // A configured imaginai.model is applied whenever the daemon starts: keep it in agreement, or the
  // next start would switch back.
  const configured = config().model;
  if (configured && configured !== picked.model.id) {
    state.applyingModel = picked.model.id;
    await vscode.workspace.getConfiguration('imaginai').update('model', picked.model.id, vscode.ConfigurationTarget.Global);
  }
  if (picked.model.available) vscode.window.showInformationMessage(`Model: ${picked.model.id}.`);
  else vscode.window.showWarningMessage(`Model: ${picked.model.id}, but it is not available: ${picked.model.reason || 'unknown reason'}.`);
  return updated;
}

/** settings/get as a list of settings with their values; a picked one is asked for and stored at once. */
async function editSettings(session) {
  for (;;) {
    const settings = await session.getSettings();
    const choice = await vscode.window.showQuickPick(
      settingsModel.settingFields(settings).map((f) => ({
        label: f.name, description: settingsModel.describeSetting(f.name, settings[f.name]), detail: f.help, field: f,
      })),
      { placeHolder: 'ImaginAI settings, applied at once (Escape when done)', matchOnDescription: true },
    );
    if (!choice) return settings;
    const field = choice.field;
    if (field.kind === 'model') { await selectModel(session); continue; }
    if (field.kind === 'multiline') return openDocument(cards.SETTINGS_TEXT_PATH);
    let text;
    const current = settingsModel.formatSetting(settings[field.name]);
    if (field.kind === 'bool' || field.kind === 'enum') {
      const values = field.kind === 'bool' ? ['true', 'false'] : field.values;
      const picked = await vscode.window.showQuickPick(
        values.map((v) => ({ label: v, description: v === current ? '(current)' : '', value: v })),
        { placeHolder: `${field.name}: ${field.help}` },
      );
      text = picked && picked.value;
    } else {
      text = await vscode.window.showInputBox({
        prompt: `${field.name}: ${field.help}`,
        value: current,
        ignoreFocusOut: true,
        validateInput: (typed) => settingsModel.validateSettingInput(field, typed),
      });
    }
    if (text === undefined) continue;
    const parsed = settingsModel.parseSettingInput(field, text);
    if (parsed.error) { showError(new Error(parsed.error)); continue; }
    if (JSON.stringify(parsed.value) === JSON.stringify(settings[field.name])) continue;
    try {
      await session.updateSettings({ [field.name]: parsed.value });
    } catch (err) {
      showError(err);
    }
  }
}

/** The open story, with a check that it can take a turn change now. */
function idleStory() {
  const panel = activeStory();
  if (panel.gone) throw new Error(panel.gone);
  return panel;
}

function versionNote(result) {
  return result ? `version ${result.position}/${result.count}` : '';
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
  // After a retry the status line says which version is shown ("version 3/3"), so a user knows that
  // Previous Version brings the earlier text back.
  'imaginai.retry': () => {
    const p = activeStory();
    return p.run(() => p.controller.retry(), async (result) => {
      if (!result || result.cancelled) return '';
      const { versions, current } = await p.controller.lastTurnVersions();
      return versionNote({ position: current + 1, count: versions.length });
    });
  },
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
  'imaginai.showUsage': async (node) => {
    const session = await getSession();
    const adventure = await targetAdventure(session, node, 'Adventure whose token usage to show');
    if (!adventure) return undefined;
    const usage = await session.usage(adventure.id);
    return showText(`Usage of "${adventure.name}"\n\n${usageToText(usage)}`);
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
    const owner = await cardOwner(session, node);
    if (!owner) return undefined;
    const holder = await readOwner(session, owner);
    const label = ownerLabel(holder, owner);
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: `Import cards into ${label}` });
    if (!uris || !uris.length) return undefined;
    const mode = await vscode.window.showQuickPick(['append', 'replace'], { placeHolder: `Add to the ${plural(holder.cards.length, 'card')} of ${label}, or replace them?` });
    if (!mode) return undefined;
    if (mode === 'replace' && holder.cards.length > 0
      && !await confirmDelete(`the ${plural(holder.cards.length, 'card')} of ${label}`, 'The cards of the file take their place.', 'Replace')) return undefined;
    const result = await session.importCards(owner, await readJsonOrText(uris[0]), { mode });
    refreshTree();
    vscode.window.showInformationMessage(`Imported ${result.imported} cards (${result.format}) into ${label}${importNotes(result)}.`);
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
      const scenario = await targetScenario(session, node, 'Scenario to export');
      if (!scenario) return undefined;
      const format = await vscode.window.showQuickPick(caps.scenarioExportFormats, { placeHolder: `File format for scenario "${scenario.name}"` });
      if (!format) return undefined;
      request = () => session.exportScenario(scenario.id, format);
      suggested = `${scenario.name}.json`;
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
  'imaginai.restartDaemon': () => restartDaemon(),

  // ---- scenarios
  'imaginai.createScenario': async () => {
    const session = await getSession();
    const name = await askName('Name of the new scenario');
    if (name === undefined) return undefined;
    const scenario = await session.createScenario({ name: name.trim() });
    refreshTree();
    vscode.window.showInformationMessage(`Created scenario "${scenario.name}". Edit Scenario fills in its opening scene and instructions.`);
    return scenario;
  },
  'imaginai.editScenario': async (node) => {
    const session = await getSession();
    const scenario = await targetScenario(session, node, 'Scenario to edit');
    return scenario ? editHolder(session, 'scenario', scenario) : undefined;
  },
  'imaginai.renameScenario': async (node) => {
    const session = await getSession();
    return renameHolder(session, 'scenario', await targetScenario(session, node, 'Scenario to rename'));
  },
  'imaginai.duplicateScenario': async (node) => {
    const session = await getSession();
    const scenario = await targetScenario(session, node, 'Scenario to duplicate');
    if (!scenario) return undefined;
    const name = await askName(`Name of the copy of scenario "${scenario.name}"`, `${scenario.name} (copy)`);
    if (name === undefined) return undefined;
    const copy = await session.duplicateScenario(scenario.id, name.trim());
    refreshTree();
    vscode.window.showInformationMessage(`Duplicated scenario "${scenario.name}" as "${copy.name}" with ${plural(copy.cards.length, 'card')}.`);
    return copy;
  },
  'imaginai.deleteScenario': async (node) => {
    const session = await getSession();
    const scenario = await targetScenario(session, node, 'Scenario to delete');
    if (!scenario) return undefined;
    const started = (await session.allAdventures()).filter((a) => a.scenarioId === scenario.id).length;
    const detail = `Its ${plural(scenario.cards.length, 'card')} ${isAre(scenario.cards.length)} deleted with it.` +
      (started ? ` The ${plural(started, 'adventure')} started from it ${started === 1 ? 'stays' : 'stay'} playable with ${started === 1 ? 'its' : 'their'} own copies.` : '');
    if (!await confirmDelete(`scenario "${scenario.name}"`, detail)) return undefined;
    const result = await session.deleteScenario(scenario.id);
    refreshTree();
    vscode.window.showInformationMessage(`Deleted scenario "${scenario.name}".`);
    return result;
  },

  // ---- adventures
  'imaginai.editAdventure': async (node) => {
    const session = await getSession();
    const adventure = await targetAdventure(session, node, 'Adventure to edit');
    return adventure ? editHolder(session, 'adventure', adventure) : undefined;
  },
  'imaginai.renameAdventure': async (node) => {
    const session = await getSession();
    return renameHolder(session, 'adventure', await targetAdventure(session, node, 'Adventure to rename'));
  },
  'imaginai.duplicateAdventure': async (node) => {
    const session = await getSession();
    const adventure = await targetAdventure(session, node, 'Adventure to duplicate');
    if (!adventure) return undefined;
    const name = await askName(`Name of the copy of adventure "${adventure.name}"`, `${adventure.name} (copy)`);
    if (name === undefined) return undefined;
    const { turns } = await session.listTurns(adventure.id);
    let upToTurn;
    if (turns.length > 1) {
      const whole = { label: `The whole story (${plural(turns.length, 'turn')})`, turn: null };
      const picked = await vscode.window.showQuickPick(
        [whole, ...turns.slice(0, -1).reverse().map((t) => ({ label: `Up to turn ${t.index}`, detail: t.text.split('\n')[0].slice(0, 200), turn: t }))],
        { placeHolder: `How much of "${adventure.name}" the copy keeps (a fork from an earlier turn)`, matchOnDetail: true },
      );
      if (!picked) return undefined;
      upToTurn = picked.turn ? picked.turn.id : undefined;
    }
    const copy = await session.duplicateAdventure(adventure.id, { name: name.trim(), ...(upToTurn ? { upToTurn } : {}) });
    refreshTree();
    vscode.window.showInformationMessage(`Duplicated adventure "${adventure.name}" as "${copy.name}" (${plural(copy.turnCount, 'turn')}).`);
    return openStory(copy.id);
  },
  'imaginai.deleteAdventure': async (node) => {
    const session = await getSession();
    const adventure = await targetAdventure(session, node, 'Adventure to delete');
    if (!adventure) return undefined;
    const detail = `Its ${plural(adventure.turnCount, 'turn')} and ${plural(adventure.cards.length, 'card')} are deleted with it; this cannot be undone.`;
    if (!await confirmDelete(`adventure "${adventure.name}"`, detail)) return undefined;
    const panel = state.panels.get(adventure.id);
    if (panel) panel.controller.cancel();
    const result = await session.deleteAdventure(adventure.id);
    if (panel) panel.panel.dispose();
    refreshTree();
    vscode.window.showInformationMessage(`Deleted adventure "${adventure.name}".`);
    return result;
  },
  'imaginai.restartAdventure': async (node) => {
    const session = await getSession();
    const adventure = await targetAdventure(session, node, 'Adventure to restart');
    return adventure ? restartAdventure(session, adventure) : undefined;
  },

  // ---- cards
  'imaginai.createCard': async (node) => {
    const session = await getSession();
    const owner = await cardOwner(session, node);
    if (!owner) return undefined;
    const holder = await readOwner(session, owner);
    const name = await askName(`Name of the new card of ${ownerLabel(holder, owner)}`);
    if (name === undefined) return undefined;
    const type = await vscode.window.showQuickPick(
      ['character', 'location', 'item', 'faction', 'lore', 'other'],
      { placeHolder: `Type of the card "${name.trim()}"` },
    );
    if (!type) return undefined;
    const card = await session.createCard(owner, { name: name.trim(), type });
    refreshTree();
    vscode.window.showInformationMessage(`Created card "${card.name}" in ${ownerLabel(holder, owner)}; write its description and save.`);
    await openCardText(owner, card, 'description');
    return card;
  },
  'imaginai.renameCard': async (node) => {
    const session = await getSession();
    const target = await targetCard(session, node, 'rename');
    if (!target) return undefined;
    const name = await askName(`New name of the card "${target.card.name}"`, target.card.name);
    if (name === undefined || name.trim() === target.card.name) return undefined;
    const card = await session.updateCard(target.card.id, { name: name.trim() });
    refreshTree();
    return card;
  },
  'imaginai.duplicateCard': async (node) => {
    const session = await getSession();
    const target = await targetCard(session, node, 'duplicate');
    if (!target) return undefined;
    const copy = await session.duplicateCard(target.card.id);
    refreshTree();
    vscode.window.showInformationMessage(`Duplicated the card "${target.card.name}" as "${copy.name}", last among the cards.`);
    return copy;
  },
  'imaginai.deleteCard': async (node) => {
    const session = await getSession();
    const target = await targetCard(session, node, 'delete');
    if (!target) return undefined;
    const holder = await readOwner(session, target.owner);
    const keys = target.card.keys.length ? ` (keys: ${target.card.keys.join(', ')})` : '';
    if (!await confirmDelete(`the card "${target.card.name}" of ${ownerLabel(holder, target.owner)}`, `Its description, notes and rules${keys} are deleted; other copies of the card are not touched.`)) return undefined;
    const result = await session.deleteCard(target.card.id);
    refreshTree();
    vscode.window.showInformationMessage(`Deleted the card "${target.card.name}" of ${ownerLabel(holder, target.owner)}.`);
    return result;
  },

  // ---- turns of the open story
  'imaginai.editTurn': async () => {
    const panel = idleStory();
    const turn = await pickTurn(panel, `Turn of "${panel.adventure.name}" to edit (opens as a document; save to store it)`);
    return turn ? openDocument(cards.turnTextPath(panel.adventure, turn)) : undefined;
  },
  'imaginai.deleteTurn': async () => {
    const panel = idleStory();
    const turn = await pickTurn(panel, `Turn of "${panel.adventure.name}" to delete`);
    if (!turn) return undefined;
    const later = panel.controller.turns.length - 1 - turn.index;
    const detail = `"${excerpt(turn.text, 120)}" is deleted${later > 0 ? `; the ${plural(later, 'later turn')} keep${later === 1 ? 's' : ''} ${later === 1 ? 'its' : 'their'} text and move${later === 1 ? 's' : ''} up one place` : ''}.`;
    if (!await confirmDelete(`turn ${turn.index} of "${panel.adventure.name}"`, detail)) return undefined;
    return panel.run(() => panel.controller.deleteTurn(turn.id), () => `deleted turn ${turn.index}`);
  },
  'imaginai.previousVersion': () => { const p = idleStory(); return p.run(() => p.controller.stepVersion(-1), versionNote); },
  'imaginai.nextVersion': () => { const p = idleStory(); return p.run(() => p.controller.stepVersion(1), versionNote); },
  'imaginai.pickVersion': async () => {
    const panel = idleStory();
    const { turn, versions } = await panel.controller.lastTurnVersions();
    const picked = await vscode.window.showQuickPick(
      versions.map((v, i) => ({
        label: `${i + 1}/${versions.length}${v.current ? ' (shown)' : ''}`,
        description: v.createdAt,
        detail: v.text.replace(/\s+/g, ' ').slice(0, 300),
        version: v,
      })),
      { placeHolder: `Versions of turn ${turn.index} of "${panel.adventure.name}"`, matchOnDetail: true },
    );
    if (!picked) return undefined;
    return panel.run(() => panel.controller.useVersion(picked.version.version), versionNote);
  },

  // ---- settings
  'imaginai.selectModel': async () => selectModel(await getSession()),
  'imaginai.editSettings': async () => editSettings(await getSession()),
};

/**
 * Stops the daemon and starts it again with the current configuration; open story views stay and
 * show the same adventure through the new daemon (or say that its database does not have it).
 */
async function restartDaemon() {
  for (const panel of state.panels.values()) panel.controller.cancel();
  await stopSession();
  refreshTree();
  if (state.panels.size === 0) return undefined;
  const session = await getSession();
  await Promise.all([...state.panels.values()].map((panel) => panel.attach(session)));
  return session;
}

/** imaginai.model changed: the running daemon switches model at once (nothing restarts). */
async function applyConfiguredModel() {
  const model = config().model;
  if (!model || state.applyingModel === model) { state.applyingModel = null; return; }
  if (!state.sessionPromise) return; // the next start applies it
  const session = await getSession();
  const settings = await session.getSettings();
  if (settings.model !== model) await session.updateSettings({ model });
}

// ---------------------------------------------------------------- live sync

/** library/changed: another process changed the database; collect the burst, then refresh once. */
function onLibraryChanged(change) {
  if (!state || !change) return;
  state.sync.pending.push(change);
  if (!state.sync.timer) state.sync.timer = setTimeout(() => flushLibraryChanges().catch(showError), SYNC_COALESCE_MS);
}

async function flushLibraryChanges() {
  if (!state) return;
  const changes = state.sync.pending;
  state.sync.pending = [];
  state.sync.timer = null;
  const adventures = new Map(); // adventure id -> 'deleted' | 'changed'
  for (const c of changes) {
    const id = c.kind === 'adventure' ? c.id : c.kind === 'turn' ? c.adventureId : null;
    if (!id || adventures.get(id) === 'deleted') continue;
    adventures.set(id, c.kind === 'adventure' && c.change === 'deleted' ? 'deleted' : 'changed');
  }
  refreshTree();
  const refreshed = [];
  for (const [id, what] of adventures) {
    const panel = state.panels.get(id);
    if (!panel) continue;
    if (what === 'deleted') panel.markGone();
    else await panel.refreshFromElsewhere();
    refreshed.push(id);
    if (!state) return; // deactivated while re-reading
  }
  const documents = state.fileSystem.changedElsewhere(changes);
  state.syncEmitter.fire({ changes, panels: refreshed, documents });
}

// ---------------------------------------------------------------- activation

function activate(context) {
  state = {
    context, sessionPromise: null, tree: null, panels: new Map(), active: null, provider: null, output: null,
    generating: false, applyingModel: null,
    sync: { pending: [], timer: null }, syncEmitter: new vscode.EventEmitter(), fileSystem: new CardTextFileSystem(),
  };
  if (vscode.window.createOutputChannel) {
    state.output = vscode.window.createOutputChannel('ImaginAI');
    context.subscriptions.push(state.output);
  }
  state.provider = new LibraryProvider();
  context.subscriptions.push(vscode.workspace.registerFileSystemProvider(cards.CARD_TEXT_SCHEME, state.fileSystem, { isCaseSensitive: true }));
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
  // A new binary or database needs a new daemon; a new model does not (settings/update applies it).
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    const run = (fn) => fn().catch(showError);
    if (e.affectsConfiguration('imaginai.path') || e.affectsConfiguration('imaginai.database')) return run(restartDaemon);
    if (e.affectsConfiguration('imaginai.model')) return run(applyConfiguredModel);
    return undefined;
  }));
  return {
    getSession,
    openStory,
    commands: Object.keys(COMMANDS),
    /** Fires {changes, panels, documents} after each burst of library/changed was handled. */
    onDidSync: state.syncEmitter.event,
    /** What a library/changed notification from the daemon does (tests deliver it this way too). */
    deliverLibraryChanged: onLibraryChanged,
  };
}

async function deactivate() {
  if (!state) return;
  if (state.sync.timer) clearTimeout(state.sync.timer);
  for (const panel of [...state.panels.values()]) panel.controller.cancel();
  await stopSession();
  state = null;
}

module.exports = { activate, deactivate, COMMANDS, VIEW_ID, STORY_VIEW_TYPE, WEBVIEW_COMMANDS };
