// The play view: the story log (newest page first, older pages on scroll), the action box with
// Do / Say / Story, streaming with Stop, Continue / Retry / Undo / Redo, retry versions ‹ n/m ›, edit and
// delete on every turn, the sidebar (Plot, Cards, Memory, Info) and the context viewer.
import { h, replaceChildren, toast, describeError } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { ask } from './home.js';
import { createSidebar } from './play-sidebar.js';
import { openContextViewer } from './play-context.js';

const PAGE_SIZE = 50;
const NOT_FOUND = -31001;
const CANCELLED = -32800;
const PROVIDER_FAILED = -31003;

export function renderPlay(root, ctx, adventureId) {
  const { rpc } = ctx;
  const state = {
    adventure: null,
    turns: [],            // the loaded window of the history, oldest first, contiguous up to the newest
    turnCount: 0,
    mode: 'do',
    generation: null,     // {controller, kind} while a story method runs
    refreshWhenIdle: false,
    loadingOlder: false,
    versions: null,       // {turnId, versions} of the latest generated ai turn
    editing: new Map(),   // turn id → the editor's textarea, kept across re-renders
    left: false,
  };
  const turnElements = new Map(); // turn id → {element, key}

  // ----- the skeleton ------------------------------------------------------------------------------
  const title = h('h1', { class: 'play-title' }, 'Loading…');
  const olderButton = h('button', { type: 'button', class: 'load-older', hidden: true, onclick: () => loadOlder() }, 'Load earlier turns');
  const turnList = h('div', { class: 'turns' });
  const log = h('div', { class: 'story-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Story', tabindex: '0' },
    olderButton, turnList);
  const actionInput = h('textarea', { id: 'action-input', class: 'action-input', rows: '2', 'aria-label': 'Action',
    placeholder: 'What do you do?', autocomplete: 'off' });
  const modeButtons = ['do', 'say', 'story'].map((mode) => h('button', {
    type: 'button', class: 'mode', 'aria-pressed': String(mode === state.mode), dataset: { mode },
    onclick: () => setMode(mode),
  }, mode === 'do' ? 'Do' : mode === 'say' ? 'Say' : 'Story'));
  const sendButton = h('button', { type: 'submit', class: 'primary send' }, 'Send');
  const stopButton = h('button', { type: 'button', class: 'stop', hidden: true, onclick: () => state.generation?.controller.abort() }, 'Stop');
  const continueButton = h('button', { type: 'button', onclick: () => generate('continue') }, 'Continue');
  const retryButton = h('button', { type: 'button', onclick: () => generate('retry') }, 'Retry');
  const undoButton = h('button', { type: 'button', onclick: () => undo() }, 'Undo');
  const redoButton = h('button', { type: 'button', onclick: () => redo() }, 'Redo');
  const status = h('span', { class: 'play-status muted', 'aria-live': 'polite' });
  const actionForm = h('form', { class: 'action-box', 'aria-label': 'Your action', onsubmit: (event) => { event.preventDefault(); act(); } },
    h('div', { class: 'action-row' },
      h('div', { class: 'modes', role: 'group', 'aria-label': 'Action type' }, modeButtons),
      h('div', { class: 'story-buttons' }, continueButton, retryButton, undoButton, redoButton)),
    h('div', { class: 'action-row input-row' }, actionInput, sendButton, stopButton),
    status);

  const sidebar = createSidebar({ ctx, adventureId, getAdventure: () => state.adventure,
    getTurnCount: () => state.turnCount, onAdventure: (adventure) => applyAdventure(adventure) });
  const sidebarToggle = h('button', { type: 'button', class: 'sidebar-toggle', 'aria-expanded': 'false',
    'aria-controls': 'play-sidebar', onclick: () => toggleSidebar() }, 'Sidebar');
  const contextButton = h('button', { type: 'button', onclick: () => showContext() }, 'Context');
  const view = h('div', { class: 'play' },
    h('section', { class: 'story-pane', 'aria-label': 'Story' },
      h('div', { class: 'play-head' }, title, h('div', { class: 'play-head-buttons' }, contextButton, sidebarToggle)),
      log,
      actionForm),
    sidebar.element);
  replaceChildren(root, view);

  const generatingButtons = [sendButton, continueButton, retryButton, undoButton, redoButton, ...modeButtons, contextButton];

  actionInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!state.generation) act();
    } else if (event.key === 'Escape' && state.generation) {
      // Stop from where the hands already are.
      event.preventDefault();
      state.generation.controller.abort();
    }
  });
  // A reader at the end stays at the end when the log reflows (a phone turned, the window resized, text
  // streaming in); one who scrolled up to read keeps their place.
  let pinnedToEnd = true;
  log.addEventListener('scroll', () => {
    pinnedToEnd = isNearEnd();
    if (log.scrollTop < 120) loadOlder();
  }, { passive: true });
  const followEnd = new ResizeObserver(() => { if (pinnedToEnd) scrollToEnd(); });
  followEnd.observe(log);
  followEnd.observe(turnList);

  function setMode(mode) {
    state.mode = mode;
    for (const button of modeButtons) button.setAttribute('aria-pressed', String(button.dataset.mode === mode));
    actionInput.placeholder = { do: 'What do you do?', say: 'What do you say?', story: 'What happens next?' }[mode];
    actionForm.dataset.mode = mode;
  }
  setMode('do');

  function toggleSidebar(open = !view.classList.contains('sidebar-open')) {
    view.classList.toggle('sidebar-open', open);
    sidebarToggle.setAttribute('aria-expanded', String(open));
    if (open) sidebar.focusTabs();
  }
  sidebar.onCloseRequest = () => { toggleSidebar(false); sidebarToggle.focus(); };

  // ----- loading ----------------------------------------------------------------------------------
  async function load() {
    const started = performance.now();
    try {
      const [page, adventure] = await Promise.all([
        rpc.request('turn/list', { adventureId, limit: PAGE_SIZE }),
        rpc.request('adventure/get', { id: adventureId }),
      ]);
      if (state.left) return;
      const answered = performance.now();
      state.turns = page.turns;
      state.turnCount = page.turnCount;
      applyAdventure(adventure);
      renderTurns();
      scrollToEnd();
      requestAnimationFrame(() => {
        // What the first paint cost, read by the tests' benchmark row: all of it, and the page's own part.
        log.dataset.painted = String(Math.round(performance.now() - started));
        log.dataset.rendered = String(Math.round(performance.now() - answered));
        performance.mark('imaginai:play-painted');
      });
      refreshVersions();
      sidebar.refreshInfo();
      actionInput.focus({ preventScroll: true });
    } catch (error) {
      if (error.code === NOT_FOUND) showGone();
      else replaceChildren(turnList, h('p', { class: 'error' }, `Could not open this adventure: ${describeError(error)}`));
    }
  }

  function applyAdventure(adventure) {
    state.adventure = adventure;
    title.textContent = adventure.name;
    document.title = `${adventure.name} · ImaginAI`;
    sidebar.update(adventure);
  }

  async function loadOlder() {
    const oldest = state.turns[0];
    if (state.loadingOlder || !oldest || oldest.index === 0) return;
    state.loadingOlder = true;
    olderButton.textContent = 'Loading earlier turns…';
    try {
      const page = await rpc.request('turn/list', { adventureId, limit: PAGE_SIZE, beforeIndex: oldest.index });
      if (state.left || state.turns[0] !== oldest) return;
      // Keep what the reader is looking at in place while the page above it grows.
      const heightBefore = log.scrollHeight;
      const topBefore = log.scrollTop;
      state.turns = [...page.turns, ...state.turns];
      state.turnCount = page.turnCount;
      renderTurns();
      log.scrollTop = topBefore + (log.scrollHeight - heightBefore);
    } catch (error) {
      toast(`Could not load earlier turns: ${describeError(error)}`, { kind: 'error' });
    } finally {
      state.loadingOlder = false;
      olderButton.textContent = 'Load earlier turns';
    }
  }

  /** Reads the newest turns again (as many as are shown, at least a page) after changes made elsewhere. */
  async function reloadTurns() {
    const limit = Math.max(PAGE_SIZE, state.turns.length);
    const page = await rpc.request('turn/list', { adventureId, limit });
    if (state.left) return;
    const nearEnd = isNearEnd();
    state.turns = page.turns;
    state.turnCount = page.turnCount;
    renderTurns();
    if (nearEnd) scrollToEnd();
    refreshVersions();
  }

  // ----- rendering the log ------------------------------------------------------------------------
  function renderTurns() {
    const wanted = state.turns.map((turn) => turnElement(turn));
    const keep = new Set(state.turns.map((turn) => turn.id));
    for (const [id, entry] of turnElements) {
      if (keep.has(id)) continue;
      rescueUnsavedEdit(id, entry);
      entry.element.remove();
      turnElements.delete(id);
    }
    // Insert in order, moving only what is out of place (cheap for the usual append at the end).
    let previous = null;
    for (const element of wanted) {
      const expected = previous ? previous.nextSibling : turnList.firstChild;
      if (expected !== element) turnList.insertBefore(element, expected);
      previous = element;
    }
    olderButton.hidden = !(state.turns[0] && state.turns[0].index > 0);
    updateButtons();
  }

  /** A turn that went (deleted elsewhere, undone) while being edited: its unsaved text goes to the action box. */
  function rescueUnsavedEdit(id, entry) {
    const editor = state.editing.get(id);
    state.editing.delete(id);
    if (!editor || editor.value === entry.turn.text) return;
    actionInput.value = actionInput.value ? `${actionInput.value}\n\n${editor.value}` : editor.value;
    toast(`Turn ${entry.turn.index + 1} is gone (deleted or undone); your unsaved edit of it is in the action box.`, { kind: 'error', ms: 10000 });
  }

  function turnElement(turn) {
    const latestAi = isLatestGeneratedAi(turn);
    const key = `${turn.index}\u0000${turn.action}\u0000${turn.text}\u0000${latestAi}`;
    const cached = turnElements.get(turn.id);
    if (cached && (cached.key === key || state.editing.has(turn.id))) {
      if (state.editing.has(turn.id)) cached.turn = turn;
      return cached.element;
    }
    const element = buildTurn(turn, latestAi);
    if (cached) cached.element.replaceWith(element);
    turnElements.set(turn.id, { element, key, turn });
    return element;
  }

  function buildTurn(turn, latestAi) {
    const number = turn.index + 1;
    const body = h('div', { class: 'turn-text' }, turnContent(turn));
    const tools = h('div', { class: 'turn-tools' },
      latestAi ? h('span', { class: 'versions-slot' }) : null,
      h('button', { type: 'button', class: 'tool', 'aria-label': `Edit turn ${number}`, title: 'Edit',
        onclick: () => startEdit(turn.id) }, 'Edit'),
      h('button', { type: 'button', class: 'tool danger', 'aria-label': `Delete turn ${number}`, title: 'Delete',
        onclick: () => deleteTurn(turn.id) }, 'Delete'));
    const element = h('article', {
      class: `turn ${turn.role}${turn.action ? ` action-${turn.action}` : ''}`,
      dataset: { turnId: turn.id, index: String(turn.index) },
      'aria-label': turn.role === 'player' ? `Your action, turn ${number}` : `Story, turn ${number}`,
    }, body, tools);
    if (latestAi && state.versions?.turnId === turn.id) fillVersions(element);
    return element;
  }

  function turnContent(turn) {
    if (turn.role === 'ai' || turn.action === 'story') return renderMarkdown(turn.text);
    return h('p', {}, h('span', { class: 'prompt-mark', 'aria-hidden': 'true' }, '> '), readAction(turn.action, turn.text));
  }

  function isLatestGeneratedAi(turn) {
    const last = state.turns[state.turns.length - 1];
    return last && last.id === turn.id && turn.role === 'ai' && turn.usage !== null;
  }

  // ----- retry versions ‹ n/m › -------------------------------------------------------------------
  async function refreshVersions() {
    const last = state.turns[state.turns.length - 1];
    if (!last || !isLatestGeneratedAi(last)) { state.versions = null; return; }
    try {
      const { versions } = await rpc.request('turn/versions', { id: last.id });
      if (state.left) return;
      state.versions = { turnId: last.id, versions };
      const entry = turnElements.get(last.id);
      if (entry) fillVersions(entry.element);
    } catch (error) {
      if (error.code !== NOT_FOUND) toast(`Could not read the versions: ${describeError(error)}`, { kind: 'error' });
    }
  }

  function fillVersions(element) {
    const slot = element.querySelector('.versions-slot');
    if (!slot || !state.versions) return;
    const { turnId, versions } = state.versions;
    if (versions.length < 2) { slot.replaceChildren(); return; }
    const position = versions.findIndex((version) => version.current);
    const switchTo = (offset) => useVersion(turnId, versions[position + offset].version);
    replaceChildren(slot, h('span', { class: 'versions', role: 'group', 'aria-label': 'Versions of this answer' },
      h('button', { type: 'button', class: 'tool', 'aria-label': 'Previous version', disabled: position <= 0 || !!state.generation,
        onclick: () => switchTo(-1) }, '‹'),
      h('span', { class: 'version-count' }, `${position + 1}/${versions.length}`),
      h('button', { type: 'button', class: 'tool', 'aria-label': 'Next version', disabled: position >= versions.length - 1 || !!state.generation,
        onclick: () => switchTo(1) }, '›')));
  }

  async function useVersion(turnId, version) {
    try {
      const turn = await rpc.request('turn/useVersion', { id: turnId, version });
      upsertTurn(turn);
      renderTurns();
      await refreshVersions();
      focusVersions(turnId);
    } catch (error) {
      toast(describeError(error), { kind: 'error' });
    }
  }

  function focusVersions(turnId) {
    const buttons = [...(turnElements.get(turnId)?.element.querySelectorAll('.versions button') ?? [])];
    (buttons.find((button) => button === document.activeElement) ?? buttons.find((button) => !button.disabled))?.focus();
  }

  // ----- acting and streaming ---------------------------------------------------------------------
  async function act() {
    const text = actionInput.value;
    if (text.trim() === '') {
      status.textContent = 'Write an action first, or press Continue to let the story go on.';
      actionInput.focus();
      return;
    }
    const action = state.mode;
    // Shown at once; replaced by the stored turn (whose text is exactly what was typed) when it arrives.
    const pendingPlayer = h('article', { class: `turn player action-${action} pending` },
      h('div', { class: 'turn-text' }, turnContent({ role: 'player', action, text })));
    actionInput.value = '';
    const outcome = await stream('act', { adventureId, action, text }, { pendingPlayer });
    if (outcome === 'failed-before-storing') {
      // Nothing was stored: give the words back rather than lose them.
      if (actionInput.value === '') actionInput.value = text;
    }
    actionInput.focus();
  }

  function generate(kind) {
    return stream(kind, { adventureId }, {});
  }

  /**
   * Runs story/act|continue|retry, showing the text as its chunks arrive. Returns 'done', 'cancelled',
   * 'failed' (something was stored) or 'failed-before-storing'.
   */
  async function stream(kind, params, { pendingPlayer }) {
    const controller = new AbortController();
    state.generation = { controller, kind };
    updateButtons();
    status.textContent = kind === 'retry' ? 'Writing another version…' : 'Writing…';
    const streamingText = document.createTextNode('');
    const streamingBody = h('div', { class: 'turn-text streaming-text' }, h('p', {}, streamingText));
    let streamingElement;
    if (kind === 'retry') {
      const last = state.turns[state.turns.length - 1];
      streamingElement = turnElements.get(last?.id)?.element;
      streamingElement?.querySelector('.turn-text')?.replaceWith(streamingBody);
      streamingElement?.classList.add('streaming');
    }
    if (!streamingElement) {
      streamingElement = h('article', { class: 'turn ai streaming' }, streamingBody);
      if (pendingPlayer) turnList.append(pendingPlayer);
      turnList.append(streamingElement);
    }
    scrollToEnd();
    let written = '';
    const onChunk = (chunk) => {
      written += chunk.text;
      const follow = isNearEnd();
      streamingText.data = written;
      if (follow) scrollToEnd();
    };
    let outcome = 'done';
    try {
      const result = await rpc.request(`story/${kind}`, params, { onChunk, signal: controller.signal });
      storeResult(result.playerTurn, result.aiTurn);
      if (result.trimmed) status.textContent = 'The answer was cut back to its last complete sentence.';
      else status.textContent = '';
    } catch (error) {
      const kept = error.data ?? {};
      if (error.code === CANCELLED) {
        outcome = 'cancelled';
        storeResult(kept.playerTurn, kept.aiTurn);
        status.textContent = kept.aiTurn ? 'Stopped; what was written is kept.' : 'Stopped before anything was written.';
      } else {
        const stored = Boolean(kept.playerTurn || kept.aiTurn);
        outcome = stored ? 'failed' : 'failed-before-storing';
        if (stored) storeResult(kept.playerTurn, kept.aiTurn);
        status.textContent = '';
        const what = error.code === PROVIDER_FAILED ? 'The model failed' : 'That did not work';
        toast(`${what}: ${describeError(error)}`, { kind: 'error', ms: 8000 });
      }
    } finally {
      pendingPlayer?.remove();
      if (!turnElements.has(streamingElement.dataset.turnId ?? '')) streamingElement.remove();
      state.generation = null;
      // A retried turn whose text did not change keeps its element: put its rendered text back.
      for (const [id, entry] of turnElements) {
        if (entry.element.querySelector('.streaming-text')) { entry.element.remove(); turnElements.delete(id); }
      }
      renderTurns();
      scrollToEnd();
      refreshVersions();
      sidebar.refreshInfo();
      if (state.refreshWhenIdle) {
        state.refreshWhenIdle = false;
        refreshFromElsewhere();
      }
    }
    return outcome;
  }

  function storeResult(playerTurn, aiTurn) {
    if (playerTurn) upsertTurn(playerTurn);
    if (aiTurn) upsertTurn(aiTurn);
    state.turnCount = Math.max(state.turnCount, (state.turns[state.turns.length - 1]?.index ?? -1) + 1);
  }

  function upsertTurn(turn) {
    const position = state.turns.findIndex((known) => known.id === turn.id);
    if (position >= 0) state.turns[position] = turn;
    else state.turns.push(turn);
    state.turns.sort((a, b) => a.index - b.index);
  }

  async function undo() {
    try {
      const { removed, turnCount } = await rpc.request('story/undo', { adventureId });
      const gone = new Set(removed.map((turn) => turn.id));
      state.turns = state.turns.filter((turn) => !gone.has(turn.id));
      state.turnCount = turnCount;
      status.textContent = `Undone: ${removed.length === 1 ? 'one turn' : `${removed.length} turns`}. Redo brings ${removed.length === 1 ? 'it' : 'them'} back.`;
      if (state.turns.length === 0 && turnCount > 0) await reloadTurns();
      renderTurns();
      refreshVersions();
      sidebar.refreshInfo();
    } catch (error) {
      status.textContent = describeError(error);
    }
  }

  async function redo() {
    try {
      const { restored, turnCount } = await rpc.request('story/redo', { adventureId });
      for (const turn of restored) upsertTurn(turn);
      state.turnCount = turnCount;
      status.textContent = '';
      renderTurns();
      scrollToEnd();
      refreshVersions();
      sidebar.refreshInfo();
    } catch (error) {
      status.textContent = describeError(error);
    }
  }

  // ----- editing and deleting turns ---------------------------------------------------------------
  function startEdit(turnId) {
    const entry = turnElements.get(turnId);
    if (!entry || state.editing.has(turnId)) { state.editing.get(turnId)?.focus(); return; }
    const turn = entry.turn;
    const original = turn.text;
    const editor = h('textarea', { class: 'turn-editor', 'aria-label': `Text of turn ${turn.index + 1}`, value: original });
    editor.rows = Math.min(16, Math.max(3, original.split('\n').length + 1));
    const errorLine = h('p', { class: 'error', role: 'alert', hidden: true });
    const saveButton = h('button', { type: 'button', class: 'primary' }, 'Save');
    const cancelButton = h('button', { type: 'button' }, 'Cancel');
    const form = h('div', { class: 'turn-edit' }, editor, errorLine,
      h('div', { class: 'turn-edit-buttons' }, saveButton, cancelButton,
        h('span', { class: 'muted hint' }, 'Ctrl+Enter saves · Escape cancels')));
    const body = entry.element.querySelector('.turn-text');
    body.hidden = true;
    body.after(form);
    entry.element.classList.add('editing');
    state.editing.set(turnId, editor);

    const finish = () => {
      state.editing.delete(turnId);
      form.remove();
      body.hidden = false;
      entry.element.classList.remove('editing');
      renderTurns();
      turnElements.get(turnId)?.element.querySelector('.tool[aria-label^="Edit"]')?.focus();
    };
    const save = async () => {
      const latest = turnElements.get(turnId)?.turn ?? turn;
      if (editor.value === latest.text) { finish(); return; }
      saveButton.disabled = true;
      try {
        const updated = await rpc.request('turn/edit', { id: turnId, text: editor.value });
        upsertTurn(updated);
        finish();
      } catch (error) {
        errorLine.hidden = false;
        errorLine.textContent = `Not saved: ${describeError(error)}`;
        saveButton.disabled = false;
        editor.focus();
      }
    };
    const cancel = async () => {
      if (editor.value !== original && await ask({ title: 'Discard your changes to this turn?',
        body: 'What you typed here has not been saved.', confirm: 'Discard', danger: true }) !== 'yes') {
        editor.focus();
        return;
      }
      finish();
    };
    saveButton.addEventListener('click', save);
    cancelButton.addEventListener('click', cancel);
    editor.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); cancel(); }
      else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(); }
    });
    editor.focus();
  }

  async function deleteTurn(turnId) {
    const turn = turnElements.get(turnId)?.turn;
    if (!turn) return;
    const excerpt = turn.text.length > 80 ? `${turn.text.slice(0, 80)}…` : turn.text;
    if (await ask({ title: `Delete turn ${turn.index + 1}?`, body: [`“${excerpt}”`, 'Later turns move up; Undo cannot bring it back.'],
      confirm: 'Delete', danger: true }) !== 'yes') return;
    try {
      await rpc.request('turn/delete', { id: turnId });
      state.editing.delete(turnId);
      state.turns = state.turns.filter((known) => known.id !== turnId)
        .map((known) => (known.index > turn.index ? { ...known, index: known.index - 1 } : known));
      state.turnCount -= 1;
      renderTurns();
      refreshVersions();
      sidebar.refreshInfo();
      status.textContent = `Turn ${turn.index + 1} deleted.`;
      actionInput.focus();
    } catch (error) {
      toast(`Not deleted: ${describeError(error)}`, { kind: 'error' });
    }
  }

  // ----- the context viewer -----------------------------------------------------------------------
  async function showContext() {
    const text = actionInput.value;
    const params = text.trim() ? { adventureId, action: state.mode, text } : { adventureId };
    try {
      const preview = await rpc.request('story/preview', params);
      sidebar.setPreview(preview, state.turns);
      openContextViewer(preview, { adventure: state.adventure, forAction: text.trim() ? { action: state.mode, text } : null, returnFocus: contextButton });
    } catch (error) {
      toast(`Could not build the context: ${describeError(error)}`, { kind: 'error' });
    }
  }

  // ----- changes made elsewhere -------------------------------------------------------------------
  const stopListening = ctx.refreshAfterChanges((changes) => {
    const mine = changes.filter((change) =>
      (change.kind === 'adventure' && change.id === adventureId) ||
      ((change.kind === 'turn' || change.kind === 'card') && change.adventureId === adventureId) ||
      change.kind === 'settings');
    if (mine.length === 0) return;
    if (mine.some((change) => change.kind === 'adventure' && change.change === 'deleted')) { showGone(); return; }
    if (mine.some((change) => change.kind === 'settings')) sidebar.refreshInfo();
    if (!mine.some((change) => change.kind !== 'settings')) return;
    if (state.generation) { state.refreshWhenIdle = true; return; }
    refreshFromElsewhere();
  });
  const onSettingsSaved = () => sidebar.refreshInfo();
  window.addEventListener('imaginai:settings-changed', onSettingsSaved);

  async function refreshFromElsewhere() {
    try {
      const [adventure] = await Promise.all([rpc.request('adventure/get', { id: adventureId }), reloadTurns()]);
      if (state.left) return;
      applyAdventure(adventure);
      sidebar.refreshInfo();
    } catch (error) {
      if (error.code === NOT_FOUND) showGone();
      else toast(`Could not refresh: ${describeError(error)}`, { kind: 'error' });
    }
  }

  function showGone() {
    state.generation?.controller.abort();
    replaceChildren(root, h('div', { class: 'play-gone', role: 'alert' },
      h('h1', {}, 'This adventure was deleted'),
      h('p', {}, state.adventure ? `“${state.adventure.name}” no longer exists (it was deleted, perhaps in another window).` :
        'There is no adventure with this id (it was deleted, perhaps in another window).'),
      h('p', {}, h('a', { href: '#/' }, 'Back to your adventures'))));
  }

  // ----- buttons and scrolling --------------------------------------------------------------------
  function updateButtons() {
    const busy = Boolean(state.generation);
    for (const button of generatingButtons) button.disabled = busy;
    const last = state.turns[state.turns.length - 1];
    if (!busy) {
      retryButton.disabled = !(last && last.role === 'ai' && last.usage !== null);
      undoButton.disabled = state.turnCount <= 1;
    }
    sendButton.hidden = busy;
    stopButton.hidden = !busy;
    view.classList.toggle('generating', busy);
    // History may not be rewritten under a running generation (the daemon refuses it anyway).
    for (const button of turnList.querySelectorAll('.tool.danger')) button.disabled = busy;
    const versionsTurn = state.versions && turnElements.get(state.versions.turnId);
    if (versionsTurn) fillVersions(versionsTurn.element);
    if (busy && document.activeElement === sendButton) stopButton.focus();
    if (!busy && document.activeElement === stopButton) actionInput.focus();
  }

  function isNearEnd() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  const warnBeforeLeaving = (event) => {
    if (state.editing.size > 0 && [...state.editing].some(([id, editor]) => editor.value !== turnElements.get(id)?.turn.text) || sidebar.hasUnsavedChanges()) {
      event.preventDefault();
      event.returnValue = '';
    }
  };
  window.addEventListener('beforeunload', warnBeforeLeaving);

  load();

  return () => {
    state.left = true;
    followEnd.disconnect();
    state.generation?.controller.abort();
    stopListening();
    sidebar.destroy();
    window.removeEventListener('imaginai:settings-changed', onSettingsSaved);
    window.removeEventListener('beforeunload', warnBeforeLeaving);
  };
}

/**
 * How an action reads in the log, as the prompt reads it (second person): "open the door" → "You open
 * the door", a said line → You say "Hello?". Display only; the stored text stays as typed.
 */
export function readAction(action, text) {
  const trimmed = text.trim();
  if (action === 'say') {
    let said = trimmed.replace(/^(you|i)\s+say\s*[,:]?\s*/i, '').replace(/^["“”']+|["“”']+$/g, '');
    said = said.charAt(0).toUpperCase() + said.slice(1);
    return `You say “${said}”`;
  }
  let rest = trimmed.replace(/^you\s+/i, '');
  if (/^I\s/.test(rest)) rest = rest.slice(2);
  else if (/^I'm\b/.test(rest)) return `You're${rest.slice(3)}`;
  else if (/^I'll\b/.test(rest)) return `You'll${rest.slice(4)}`;
  if (/^\p{Lu}\p{Ll}/u.test(rest)) rest = rest.charAt(0).toLowerCase() + rest.slice(1);
  return `You ${rest}`;
}
