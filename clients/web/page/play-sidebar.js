// The play view's sidebar: Plot (the adventure's own instructions, plot essentials and author's notes),
// Cards (the adventure's cards), Memory (the summary with its versions, and what recall brought back) and
// Info (name, scenario, turns, usage, model). On a phone it is a drawer over the story.
import { h, replaceChildren, toast, describeError } from './dom.js';
import { ask } from './home.js';

const PLOT_FIELDS = [
  ['instructions', 'Instructions', 'How the storyteller should narrate: voice, tense, tone.'],
  ['plotEssentials', 'Plot essentials', 'What must stay true, sent with every turn.'],
  ['authorsNotes', "Author's notes", 'Steering placed near the end of the prompt, where it weighs most.'],
];

export function createSidebar({ ctx, adventureId, getAdventure, getTurnCount, onAdventure }) {
  const { rpc } = ctx;
  const api = { onCloseRequest: null };
  let destroyed = false;
  let lastPreview = null;
  let lastPreviewTurns = [];

  // ----- tabs --------------------------------------------------------------------------------------
  const tabNames = ['Plot', 'Cards', 'Memory', 'Info'];
  const tabs = tabNames.map((name) => h('button', {
    type: 'button', role: 'tab', id: `play-tab-${name.toLowerCase()}`, 'aria-selected': 'false',
    'aria-controls': `play-panel-${name.toLowerCase()}`, tabindex: '-1', onclick: () => select(name),
  }, name));
  const panels = Object.fromEntries(tabNames.map((name) => [name, h('div', {
    role: 'tabpanel', id: `play-panel-${name.toLowerCase()}`, 'aria-labelledby': `play-tab-${name.toLowerCase()}`,
    class: 'side-panel', hidden: true, tabindex: '0',
  })]));
  const tablist = h('div', { class: 'side-tabs', role: 'tablist', 'aria-label': 'Adventure' }, tabs);
  tablist.addEventListener('keydown', (event) => {
    const position = tabs.indexOf(document.activeElement);
    const target = { ArrowRight: position + 1, ArrowLeft: position - 1, Home: 0, End: -1 }[event.key];
    if (position < 0 || target === undefined) return;
    event.preventDefault();
    const next = tabs.at(target % tabs.length);
    select(next.textContent);
    next.focus();
  });
  const closeButton = h('button', { type: 'button', class: 'side-close', onclick: () => api.onCloseRequest?.() }, 'Close');
  const element = h('aside', { id: 'play-sidebar', class: 'sidebar', 'aria-label': 'Adventure details' },
    h('div', { class: 'side-head' }, tablist, closeButton),
    Object.values(panels));
  element.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented && element.closest('.play')?.classList.contains('sidebar-open')) {
      api.onCloseRequest?.();
    }
  });

  let selected = null;
  function select(name) {
    selected = name;
    tabs.forEach((tab) => {
      const on = tab.textContent === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    });
    for (const [panelName, panel] of Object.entries(panels)) panel.hidden = panelName !== name;
    if (name === 'Cards') showCards();
    if (name === 'Memory') loadSummaryVersions();
    if (name === 'Info') api.refreshInfo();
  }

  // ----- Plot ---------------------------------------------------------------------------------------
  const plotBaseline = {};
  const plotInputs = {};
  const plotSaveState = h('span', { class: 'save-state', 'aria-live': 'polite' }, 'Saved');
  const plotError = h('p', { class: 'error', role: 'alert', hidden: true });
  const plotSaveButton = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Save plot');
  const plotForm = h('form', { class: 'side-form', onsubmit: (event) => { event.preventDefault(); savePlot(); } },
    PLOT_FIELDS.map(([field, label, hint]) => {
      const id = `plot-${field}`;
      plotInputs[field] = h('textarea', { id, rows: field === 'authorsNotes' ? '3' : '5', 'aria-describedby': `${id}-hint`,
        oninput: () => updatePlotState() });
      return [h('label', { for: id }, label), plotInputs[field], h('p', { id: `${id}-hint`, class: 'hint muted' }, hint)];
    }),
    plotError,
    h('div', { class: 'side-actions' }, plotSaveButton, plotSaveState));
  panels.Plot.append(plotForm);

  function plotDirtyFields() {
    return PLOT_FIELDS.map(([field]) => field).filter((field) => plotInputs[field].value !== plotBaseline[field]);
  }
  function updatePlotState(text) {
    const dirty = plotDirtyFields().length > 0;
    plotSaveButton.disabled = !dirty;
    plotSaveState.textContent = text ?? (dirty ? 'Unsaved changes' : 'Saved');
    plotSaveState.classList.toggle('dirty', dirty);
  }
  async function savePlot() {
    const changes = Object.fromEntries(plotDirtyFields().map((field) => [field, plotInputs[field].value]));
    if (Object.keys(changes).length === 0) return;
    plotSaveButton.disabled = true;
    plotSaveState.textContent = 'Saving…';
    plotError.hidden = true;
    try {
      const adventure = await rpc.request('adventure/update', { id: adventureId, changes });
      for (const field of Object.keys(changes)) plotBaseline[field] = changes[field];
      onAdventure(adventure);
      updatePlotState('Saved');
    } catch (error) {
      plotError.hidden = false;
      plotError.textContent = `Not saved: ${describeError(error)}`;
      updatePlotState('Not saved');
    }
  }

  // ----- Cards: the scenario editor's cards panel (cards-panel.js), pointed at this adventure ------------
  // One editor for every card, wherever it lives; only creation names its owner, so that one call is
  // addressed to the adventure. Loaded when the tab is first shown: a Plot-only visit never pays for it.
  const cardsRpc = { request: (method, params, options) =>
    rpc.request(method, method === 'card/create' ? { adventureId, card: params.card } : params, options) };
  let cardsPanel = null;
  let cardsPanelLoading = null;
  async function showCards() {
    cardsPanelLoading ??= import('./cards-panel.js').then(({ renderCardsPanel }) => {
      if (destroyed) return;
      cardsPanel = renderCardsPanel(panels.Cards, {
        rpc: cardsRpc, scenarioId: null, cards: getAdventure()?.cards ?? [], onDirtyChange: () => {},
        onCardsChange: (cards) => { const adventure = getAdventure(); if (adventure) adventure.cards = cards; },
      });
    }).catch((error) => {
      replaceChildren(panels.Cards, h('p', { class: 'error' }, `The card editor could not be loaded: ${describeError(error)}`));
    });
    await cardsPanelLoading;
    cardsPanel?.shown();
  }

  // ----- Memory -------------------------------------------------------------------------------------
  const summaryInput = h('textarea', { id: 'memory-summary', rows: '7', oninput: () => updateSummaryState() });
  let summaryBaseline = '';
  const summarySaveButton = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Save summary');
  const summaryState = h('span', { class: 'save-state', 'aria-live': 'polite' }, 'Saved');
  const summaryError = h('p', { class: 'error', role: 'alert', hidden: true });
  const versionList = h('ol', { class: 'summary-versions', 'aria-label': 'Summary versions' });
  const recalled = h('div', { class: 'recalled' });
  panels.Memory.append(
    h('form', { class: 'side-form', onsubmit: (event) => { event.preventDefault(); saveSummary(summaryInput.value); } },
      h('label', { for: 'memory-summary' }, 'Summary (the story so far, sent with every turn)'),
      summaryInput, summaryError,
      h('div', { class: 'side-actions' }, summarySaveButton, summaryState)),
    h('h3', {}, 'Versions'), versionList,
    h('h3', {}, 'Recalled turns'),
    h('p', { class: 'hint muted' }, 'Older turns that recall brought back into the last context built (Context button).'),
    recalled);
  renderRecalled();

  function updateSummaryState(text) {
    const dirty = summaryInput.value !== summaryBaseline;
    summarySaveButton.disabled = !dirty;
    summaryState.textContent = text ?? (dirty ? 'Unsaved changes' : 'Saved');
    summaryState.classList.toggle('dirty', dirty);
  }
  async function saveSummary(text) {
    summarySaveButton.disabled = true;
    summaryState.textContent = 'Saving…';
    summaryError.hidden = true;
    try {
      const adventure = await rpc.request('adventure/update', { id: adventureId, changes: { summary: text } });
      summaryBaseline = text;
      summaryInput.value = text;
      onAdventure(adventure);
      updateSummaryState('Saved');
      loadSummaryVersions();
    } catch (error) {
      summaryError.hidden = false;
      summaryError.textContent = `Not saved: ${describeError(error)}`;
      updateSummaryState('Not saved');
    }
  }
  async function loadSummaryVersions() {
    try {
      const { versions } = await rpc.request('adventure/summaryVersions', { adventureId });
      if (destroyed) return;
      if (versions.length === 0) { replaceChildren(versionList, h('li', { class: 'muted empty' }, 'The summary was never set.')); return; }
      replaceChildren(versionList, [...versions].reverse().map((version) => h('li', { class: version.current ? 'current' : '' },
        h('div', { class: 'version-meta muted' },
          `Version ${version.version + 1} · ${version.source === 'auto' ? 'written by the storyteller' : 'written by you'} · ${formatTime(version.createdAt)}`,
          version.current ? ' · current' : ''),
        h('p', { class: 'version-text' }, version.text || '(empty)'),
        version.current ? null : h('button', { type: 'button', class: 'small',
          'aria-label': `Use summary version ${version.version + 1}`,
          onclick: async () => {
            if (summaryInput.value !== summaryBaseline &&
              await ask({ title: 'Replace your unsaved summary with this version?', body: 'What you typed has not been saved.',
                confirm: 'Replace' }) !== 'yes') return;
            saveSummary(version.text);
          } }, 'Use this version'))));
    } catch (error) {
      replaceChildren(versionList, h('li', { class: 'error' }, `Could not read the versions: ${describeError(error)}`));
    }
  }
  function renderRecalled() {
    if (!lastPreview) {
      replaceChildren(recalled, h('p', { class: 'muted' }, 'No context built yet.'),
        h('button', { type: 'button', onclick: () => previewNow() }, 'Build the context now'));
      return;
    }
    const memories = lastPreview.sections.find((section) => section.name === 'memories');
    const known = new Map(lastPreviewTurns.map((turn) => [turn.id, turn]));
    if (lastPreview.recalledTurns.length === 0) {
      replaceChildren(recalled, h('p', { class: 'muted' },
        lastPreview.droppedTurns.length + lastPreview.olderTurnsOmitted === 0 ?
          'Every turn fits in the context, so nothing needed recalling.' :
          'Recall found no older turn that matches the story now.'),
        h('button', { type: 'button', onclick: () => previewNow() }, 'Build the context again'));
      return;
    }
    const lines = memories ? memories.text.split('\n') : [];
    replaceChildren(recalled,
      h('ul', { class: 'recalled-list' }, lastPreview.recalledTurns.map((id, position) => {
        const turn = known.get(id);
        return h('li', {}, lines[position] ?? (turn ? `[Turn ${turn.index + 1}] ${turn.text}` : id));
      })),
      h('button', { type: 'button', onclick: () => previewNow() }, 'Build the context again'));
  }
  async function previewNow() {
    try {
      api.setPreview(await rpc.request('story/preview', { adventureId }), []);
    } catch (error) {
      toast(`Could not build the context: ${describeError(error)}`, { kind: 'error' });
    }
  }

  // ----- Info ---------------------------------------------------------------------------------------
  const info = h('dl', { class: 'info-list' });
  panels.Info.append(info);
  let infoRequest = 0;

  api.refreshInfo = async () => {
    const adventure = getAdventure();
    if (!adventure || destroyed) return;
    const request = ++infoRequest;
    let usage = null;
    let settings = null;
    try {
      [usage, settings] = await Promise.all([
        rpc.request('usage/get', { adventureId }),
        rpc.request('settings/get'),
      ]);
    } catch (error) {
      if (request === infoRequest) replaceChildren(info, h('dd', { class: 'error' }, `Could not read usage: ${describeError(error)}`));
      return;
    }
    if (request !== infoRequest || destroyed) return;
    const current = getAdventure();
    const lastUsage = usage.turns[usage.turns.length - 1]?.usage;
    const entry = (term, ...value) => [h('dt', {}, term), h('dd', {}, value)];
    replaceChildren(info,
      entry('Name', current.name),
      entry('Scenario', current.scenarioId ? h('a', { href: `#/scenario/${encodeURIComponent(current.scenarioId)}/plot` }, current.scenarioName) :
        h('span', {}, current.scenarioName, h('span', { class: 'muted' }, ' (deleted)'))),
      entry('Turns', String(getTurnCount())),
      entry('Started', formatTime(current.createdAt)),
      entry('Last played', formatTime(current.lastPlayedAt)),
      entry('Model', settings.model, h('button', { type: 'button', class: 'link-button', onclick: () => document.getElementById('open-settings')?.click() }, 'Change')),
      entry('Generated turns', String(usage.totals.turns)),
      entry('Prompt tokens', usage.totals.promptTokens.toLocaleString('en')),
      entry('Output tokens', usage.totals.outputTokens.toLocaleString('en')),
      entry('Thinking tokens', usage.totals.thinkingTokens.toLocaleString('en')),
      lastUsage ? entry('Last answer', `${lastUsage.model}, ${lastUsage.latencyMs} ms` +
        (lastUsage.firstChunkMs !== null ? ` (first words after ${lastUsage.firstChunkMs} ms)` : '') +
        (lastUsage.source === 'estimate' ? ', tokens estimated' : '')) : null);
  };

  // ----- the sidebar's interface to the play view ---------------------------------------------------
  api.element = element;
  api.update = (adventure) => {
    for (const [field] of PLOT_FIELDS) {
      if (plotInputs[field].value === (plotBaseline[field] ?? '')) plotInputs[field].value = adventure[field];
      plotBaseline[field] = adventure[field];
    }
    updatePlotState();
    if (summaryInput.value === summaryBaseline) summaryInput.value = adventure.summary;
    summaryBaseline = adventure.summary;
    updateSummaryState();
    cardsPanel?.replaceCards(adventure.cards);
    if (selected === 'Memory') loadSummaryVersions();
  };
  api.setPreview = (preview, turns) => {
    lastPreview = preview;
    lastPreviewTurns = turns;
    renderRecalled();
  };
  api.focusTabs = () => tabs.find((tab) => tab.tabIndex === 0)?.focus();
  api.hasUnsavedChanges = () => plotDirtyFields().length > 0 || summaryInput.value !== summaryBaseline ||
    Boolean(cardsPanel?.hasUnsavedCard());
  api.destroy = () => { destroyed = true; cardsPanel?.close(); };
  select('Plot');
  return api;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
