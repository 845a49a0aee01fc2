'use strict';
// The story controller: one adventure's turns as displayable text, kept current while the daemon
// streams story/chunk text, then settled with the response's authoritative aiTurn.text.
// All story logic (prompting, trimming, undo stacks) stays in the daemon; this only displays.
// No dependency on the `vscode` module.

const { EventEmitter } = require('events');
const { RpcError, ErrorCodes } = require('./client');
const { firedByText, leftOutText } = require('./cards');

/**
 * How one turn reads in the story view: ai turns and `story` actions as written, `do` and `say`
 * actions as typed behind a "> " marker (the daemon, not the client, rewrites them for the model).
 */
function turnToText(turn) {
  if (turn.role === 'player') {
    if (turn.action === 'say') return `> "${turn.text}"`;
    if (turn.action === 'story') return turn.text;
    return `> ${turn.text}`;
  }
  return turn.text;
}

/** Turns (or view items) → the story as plain text, one paragraph per turn. */
function renderStoryText(items) {
  return items.filter((item) => !(item.streaming && item.text === '')).map(turnToText).join('\n\n');
}

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Turns (or view items) → HTML paragraphs for the story webview (text escaped). */
function renderStoryHtml(items) {
  return items
    .map((item) => {
      const classes = ['turn', item.role];
      if (item.action) classes.push(item.action);
      if (item.streaming) classes.push('streaming');
      if (item.pending) classes.push('pending');
      const text = item.streaming && item.text === '' ? '…' : turnToText(item);
      const body = escapeHtml(text).replace(/\n/g, '<br>');
      return `<p class="${classes.join(' ')}" data-index="${item.index === undefined ? '' : item.index}">${body}</p>`;
    })
    .join('\n');
}

/** story/preview result → readable text: sections with their token costs, fired cards, turns. */
function previewToText(p) {
  const lines = [];
  lines.push(`Model: ${p.model}`);
  lines.push(`Prompt: ${p.totalTokens} of ${p.budgetTokens} tokens`);
  lines.push('');
  lines.push('Cards fired:');
  if (p.firedCards.length === 0) lines.push('  (none)');
  for (const c of p.firedCards) {
    const out = leftOutText(c);
    lines.push(`  ${out ? '✗' : '✓'} ${c.name} (${firedByText(c, p.firedCards)})${out ? ` — left out: ${out}` : ''}`);
  }
  lines.push('');
  lines.push(`History: turns ${p.includedTurns.length ? p.includedTurns.join(', ') : '(none)'} included` +
    (p.droppedTurns.length ? `; dropped ${p.droppedTurns.join(', ')}` : '') +
    (p.olderTurnsOmitted ? `; ${p.olderTurnsOmitted} older omitted` : ''));
  if (p.recalledTurns) lines.push(`Recalled turns: ${p.recalledTurns.length} (in the memories section)`);
  for (const s of p.sections) {
    lines.push('');
    lines.push(`── ${s.name} (${s.tokens} tokens) ──`);
    lines.push(s.text);
  }
  return lines.join('\n');
}

/** story/preview result → an HTML fragment (text escaped). */
function previewToHtml(p) {
  const cards = p.firedCards.length
    ? `<ul class="cards">${p.firedCards.map((c) => {
      const out = leftOutText(c);
      return `<li class="${out ? 'excluded' : 'included'}">${escapeHtml(c.name)} <span class="key">(${escapeHtml(firedByText(c, p.firedCards))})</span>${out ? ` — left out: ${escapeHtml(out)}` : ''}</li>`;
    }).join('')}</ul>`
    : '<p class="cards">No cards fired.</p>';
  const sections = p.sections
    .map((s) => `<section class="section ${escapeHtml(s.name)}"><h3>${escapeHtml(s.name)} <span class="tokens">${s.tokens} tokens</span></h3><pre>${escapeHtml(s.text)}</pre></section>`)
    .join('\n');
  return [
    `<h2>Context for ${escapeHtml(p.model)}</h2>`,
    `<p class="budget">${p.totalTokens} of ${p.budgetTokens} tokens; turns included: ${p.includedTurns.join(', ') || 'none'}; dropped: ${p.droppedTurns.join(', ') || 'none'}; older omitted: ${p.olderTurnsOmitted}</p>`,
    cards,
    sections,
  ].join('\n');
}

/** usage/get result → readable text. */
function usageToText(u) {
  const lines = [
    `Generated turns: ${u.totals.turns}`,
    `Prompt tokens: ${u.totals.promptTokens}`,
    `Output tokens: ${u.totals.outputTokens}`,
    `Thinking tokens: ${u.totals.thinkingTokens}`,
  ];
  if (u.turns.length) lines.push('');
  for (const t of u.turns) {
    lines.push(`turn ${t.index}: ${t.usage.promptTokens} in / ${t.usage.outputTokens} out, ${t.usage.model}, ${t.usage.latencyMs} ms (${t.usage.source})`);
  }
  return lines.join('\n');
}

/**
 * Controls one adventure's story view. Emits 'change' when the turns change (loaded, a generation
 * started or settled, undo, redo) and 'chunk' each time streamed text grew (then items(), text(),
 * html() and streamedText show it).
 */
class StoryController extends EventEmitter {
  constructor(session, adventureId) {
    super();
    this.session = session;
    this.adventureId = adventureId;
    this.turns = [];
    this.turnCount = 0;
    this.pending = null; // {method, handle, action, text, chunks: Map, nextSeq, streamed, retryTurnId}
  }

  get busy() {
    return this.pending !== null;
  }

  /** Reads the whole history from the daemon. */
  async load() {
    const { turns, turnCount } = await this.session.listTurns(this.adventureId);
    this.turns = turns;
    this.turnCount = turnCount;
    this._changed();
    return this.turns;
  }

  /** The turns as displayed now: stored turns plus the generation in progress, if any. */
  items() {
    const p = this.pending;
    if (!p) return this.turns.slice();
    const items = [];
    for (const t of this.turns) {
      if (p.retryTurnId && t.id === p.retryTurnId) continue;
      items.push(t);
    }
    if (p.method === 'story/act') {
      items.push({ role: 'player', action: p.action, text: p.text, pending: true });
    }
    items.push({ role: 'ai', action: null, text: p.streamed, streaming: true });
    return items;
  }

  text() {
    return renderStoryText(this.items());
  }

  html() {
    return renderStoryHtml(this.items());
  }

  /** The text streamed so far by the running generation ('' when none). */
  get streamedText() {
    return this.pending ? this.pending.streamed : '';
  }

  act(action, text) {
    return this._generate('story/act', { action, text });
  }

  continueStory() {
    return this._generate('story/continue', {});
  }

  retry() {
    return this._generate('story/retry', {});
  }

  /** Cancels the running generation; its promise then settles with {cancelled: true}. */
  cancel() {
    if (!this.pending) return false;
    this.pending.handle.cancel();
    return true;
  }

  async undo() {
    this._refuseWhileBusy();
    const result = await this.session.undo(this.adventureId);
    const removed = new Set(result.removed.map((t) => t.id));
    this.turns = this.turns.filter((t) => !removed.has(t.id));
    this.turnCount = result.turnCount;
    this._changed();
    return result;
  }

  async redo() {
    this._refuseWhileBusy();
    const result = await this.session.redo(this.adventureId);
    this.turns = this.turns.concat(result.restored).sort((a, b) => a.index - b.index);
    this.turnCount = result.turnCount;
    this._changed();
    return result;
  }

  preview(action, text) {
    return this.session.preview(this.adventureId, action, text);
  }

  /** The newest turn, which retries replace and whose versions are browsed like swipes. */
  lastTurn() {
    return this.turns.length ? this.turns[this.turns.length - 1] : null;
  }

  /** {turn, versions, current} of the newest turn (current: the index of the version shown). */
  async lastTurnVersions() {
    const turn = this.lastTurn();
    if (!turn) throw new Error('The story has no turns yet.');
    const { versions } = await this.session.turnVersions(turn.id);
    return { turn, versions, current: versions.findIndex((v) => v.current) };
  }

  /** Makes a version of the newest turn its text; resolves with {turn, position, count} ("2/3"). */
  async useVersion(version) {
    this._refuseWhileBusy();
    const { turn, versions } = await this.lastTurnVersions();
    const at = versions.findIndex((v) => v.version === version);
    if (at < 0) throw new Error(`The newest turn has no version ${version}.`);
    const updated = await this.session.useTurnVersion(turn.id, version);
    this._upsert(updated);
    this._changed();
    return { turn: updated, position: at + 1, count: versions.length };
  }

  /**
   * Steps through the newest turn's versions (delta -1: the previous, +1: the next), as swipes do.
   * At either end it says so rather than wrapping, so a user always knows where they are.
   */
  async stepVersion(delta) {
    this._refuseWhileBusy();
    const { versions, current } = await this.lastTurnVersions();
    const target = current + delta;
    if (target < 0 || target >= versions.length) {
      const where = `${current + 1}/${versions.length}`;
      throw new Error(versions.length === 1
        ? 'The newest turn has one version; Retry writes another.'
        : `Already at the ${delta < 0 ? 'first' : 'last'} version (${where}).`);
    }
    return this.useVersion(versions[target].version);
  }

  /** Deletes one turn (later turns move down an index) and re-reads the history. */
  async deleteTurn(turnId) {
    this._refuseWhileBusy();
    const result = await this.session.deleteTurn(turnId);
    await this.load();
    return result;
  }

  /** Shows a turn as stored after it was changed elsewhere (an edited text). */
  replaceTurn(turn) {
    if (turn.adventureId && turn.adventureId !== this.adventureId) return;
    if (!this.turns.some((t) => t.id === turn.id)) return;
    this._upsert(turn);
    this._changed();
  }

  usage() {
    return this.session.usage(this.adventureId);
  }

  _refuseWhileBusy() {
    if (this.pending) {
      throw new RpcError(ErrorCodes.Conflict, 'A generation is running for this adventure', { adventureId: this.adventureId });
    }
  }

  async _generate(method, extra) {
    this._refuseWhileBusy();
    const params = { adventureId: this.adventureId, ...extra };
    let retryTurnId = null;
    if (method === 'story/retry') {
      const last = this.turns[this.turns.length - 1];
      if (last && last.role === 'ai') retryTurnId = last.id;
    }
    const pending = {
      method,
      action: extra.action,
      text: extra.text,
      chunks: new Map(),
      nextSeq: 0,
      streamed: '',
      retryTurnId,
      handle: null,
    };
    pending.handle = this.session.generate(method, params, (chunk) => this._onChunk(pending, chunk));
    this.pending = pending;
    this._changed();
    try {
      const result = await pending.handle.result;
      this.pending = null;
      if (result.playerTurn) this._upsert(result.playerTurn);
      this._upsert(result.aiTurn);
      this._changed();
      return { cancelled: false, streamed: pending.streamed, ...result };
    } catch (err) {
      this.pending = null;
      if (err instanceof RpcError && err.code === ErrorCodes.RequestCancelled) {
        if (err.data) {
          if (err.data.playerTurn) this._upsert(err.data.playerTurn);
          if (err.data.aiTurn) this._upsert(err.data.aiTurn);
          this._changed();
        } else {
          // Cancelled before the generation began: the daemon (0.1.0) then sends no data; re-read.
          try { await this.load(); } catch (_) { this._changed(); }
        }
        const data = err.data || {};
        return { cancelled: true, streamed: pending.streamed, playerTurn: data.playerTurn || null, aiTurn: data.aiTurn || null };
      }
      // A provider failure keeps the player turn; re-read the history so the view shows what is stored.
      try { await this.load(); } catch (_) { this._changed(); }
      throw err;
    }
  }

  _onChunk(pending, chunk) {
    if (this.pending !== pending) return;
    pending.chunks.set(chunk.seq, chunk.text);
    let appended = false;
    while (pending.chunks.has(pending.nextSeq)) {
      pending.streamed += pending.chunks.get(pending.nextSeq);
      pending.chunks.delete(pending.nextSeq);
      pending.nextSeq += 1;
      appended = true;
    }
    if (appended) this.emit('chunk', chunk);
  }

  _upsert(turn) {
    const at = this.turns.findIndex((t) => t.id === turn.id);
    if (at >= 0) this.turns[at] = turn;
    else this.turns.push(turn);
    this.turns.sort((a, b) => a.index - b.index);
    this.turnCount = Math.max(this.turnCount, turn.index + 1);
  }

  _changed() {
    this.emit('change', this);
  }
}

module.exports = {
  StoryController,
  turnToText,
  renderStoryText,
  renderStoryHtml,
  previewToText,
  previewToHtml,
  usageToText,
  escapeHtml,
};
