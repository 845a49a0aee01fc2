// The scenario editor: Plot, Cards and Details tabs over one scenario. Text fields save on blur, on
// Ctrl+S or with Save, sending only the fields that changed, exactly as typed. Leaving with text that was
// neither saved nor sent asks first (a link, a hash change, closing or reloading the tab).
import { h, replaceChildren, toast, describeError } from './dom.js';
import { renderCardsPanel, sameValue, parseList } from './cards-panel.js';

const TABS = [
  { id: 'plot', label: 'Plot' },
  { id: 'cards', label: 'Cards' },
  { id: 'details', label: 'Details' },
];

const PLOT_FIELDS = [
  { key: 'instructions', label: 'Instructions', hint: 'How the storyteller should tell this story: voice, person, tense, tone.', rows: 6 },
  { key: 'plotEssentials', label: 'Plot essentials', hint: 'What must stay true: sent with every turn.', rows: 6 },
  { key: 'authorsNotes', label: "Author's notes", hint: 'Style and direction, placed close to the newest turns.', rows: 4 },
  { key: 'openingScene', label: 'Opening scene', hint: 'The first turn of every adventure started from this scenario.', rows: 8 },
];

const DETAIL_FIELDS = [
  { key: 'name', label: 'Name', kind: 'input' },
  { key: 'playerDescription', label: 'Player description', hint: 'What players see before they start.', rows: 4 },
  { key: 'tags', label: 'Tags', hint: 'Separated by commas.', kind: 'tags' },
  { key: 'visibility', label: 'Visibility', kind: 'select', options: ['private', 'unlisted', 'public'] },
];

/** While an editor is open: asks whether leaving is fine (true) or the address must be put back (false). */
let leaveGuard = null;

// Registered when this module is first imported, which is before the router adds its own hashchange
// listener: a declined leave stops the router from ever seeing the change, and the address goes back.
window.addEventListener('hashchange', (event) => {
  if (!leaveGuard || leaveGuard()) return;
  event.stopImmediatePropagation();
  history.replaceState(null, '', event.oldURL);
});

export function renderEditor(root, ctx, id, tab) {
  const { rpc } = ctx;
  let scenario = null;
  let cardsPanel = null;
  const fields = new Map();   // scenario key -> {key, control, error, read(), write(value)}
  const saving = new Set();   // keys sent and not answered yet

  const status = h('span', { class: 'save-status', role: 'status', 'aria-live': 'polite' });
  const saveButton = h('button', { type: 'button', class: 'primary', onclick: () => saveScenario(), disabled: true }, 'Save');
  const title = h('h1', { class: 'editor-title' }, 'Scenario');
  const tabList = h('div', { role: 'tablist', 'aria-label': 'Scenario editor', class: 'tabs' });
  const panels = new Map();
  const tabButtons = new Map();
  for (const { id: tabId, label } of TABS) {
    const button = h('button', { type: 'button', role: 'tab', id: `tab-${tabId}`, 'aria-controls': `panel-${tabId}`,
      'aria-selected': 'false', tabindex: '-1', onclick: () => selectTab(tabId, { focus: false }) }, label);
    tabButtons.set(tabId, button);
    tabList.append(button);
    panels.set(tabId, h('section', { role: 'tabpanel', id: `panel-${tabId}`, 'aria-labelledby': `tab-${tabId}`, tabindex: '0', hidden: true }));
  }
  tabList.addEventListener('keydown', (event) => {
    const order = TABS.map((t) => t.id);
    const current = order.indexOf(currentTab);
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: order.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(order[(next + order.length) % order.length], { focus: true });
  });

  const playButton = h('button', { type: 'button', onclick: startAdventure }, 'Play');
  const view = h('div', { class: 'editor' },
    h('div', { class: 'editor-head' },
      h('a', { href: '#/', class: 'back' }, '← Home'),
      title,
      h('div', { class: 'editor-actions' }, status, saveButton, playButton)),
    tabList,
    [...panels.values()]);
  replaceChildren(root, h('p', { class: 'loading' }, 'Loading the scenario…'));

  let currentTab = TABS.some((t) => t.id === tab) ? tab : 'plot';

  function selectTab(tabId, { focus }) {
    currentTab = tabId;
    for (const [key, button] of tabButtons) {
      const selected = key === tabId;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      panels.get(key).hidden = !selected;
    }
    if (focus) tabButtons.get(tabId).focus();
    if (tabId === 'cards') cardsPanel?.shown();
    // The hash names the tab so a reload or a shared link opens it; replaceState fires no hashchange,
    // so the view is not rebuilt.
    const hash = `#/scenario/${encodeURIComponent(id)}/${tabId}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  function buildField(spec, container) {
    const controlId = `field-${spec.key}`;
    const errorId = `${controlId}-error`;
    const hintId = `${controlId}-hint`;
    let control;
    if (spec.kind === 'input' || spec.kind === 'tags') control = h('input', { id: controlId, autocomplete: 'off' });
    else if (spec.kind === 'select') control = h('select', { id: controlId }, spec.options.map((option) => h('option', { value: option }, option)));
    else control = h('textarea', { id: controlId, rows: spec.rows ?? 5, spellcheck: 'true' });
    control.setAttribute('aria-describedby', `${spec.hint ? hintId : ''} ${errorId}`.trim());
    const error = h('p', { class: 'field-error', id: errorId });
    const field = {
      key: spec.key, control, error,
      read: () => (spec.kind === 'tags' ? parseList(control.value) : control.value),
      write: (value) => { control.value = spec.kind === 'tags' ? value.join(', ') : value; },
      dirty: () => !sameValue(field.read(), scenario[spec.key]),
    };
    control.addEventListener('input', updateStatus);
    // A select has no typing phase: its change is the edit, saved at once.
    control.addEventListener(spec.kind === 'select' ? 'change' : 'blur', () => { if (field.dirty()) saveScenario(); });
    fields.set(spec.key, field);
    container.append(h('div', { class: `field field-${spec.key}` },
      h('label', { for: controlId }, spec.label),
      spec.hint ? h('p', { class: 'hint muted', id: hintId }, spec.hint) : null,
      control, error));
  }

  function dirtyKeys() {
    if (!scenario) return [];
    return [...fields.values()].filter((field) => field.dirty()).map((field) => field.key);
  }

  /** Unsaved means typed and not yet sent: a save in flight is the daemon's to finish. */
  function unsavedKeys() {
    return dirtyKeys().filter((key) => !saving.has(key));
  }

  function updateStatus() {
    const dirty = dirtyKeys();
    const cardDirty = cardsPanel?.hasUnsavedCard() ?? false;
    saveButton.disabled = dirty.length === 0;
    view.classList.toggle('unsaved', dirty.length > 0 || cardDirty);
    if (saving.size) status.textContent = 'Saving…';
    else if (dirty.length) status.textContent = `Unsaved: ${dirty.map(labelOf).join(', ')}`;
    else status.textContent = 'All changes saved';
  }

  function labelOf(key) {
    return [...PLOT_FIELDS, ...DETAIL_FIELDS].find((spec) => spec.key === key)?.label ?? key;
  }

  async function saveScenario() {
    const keys = unsavedKeys();
    if (!keys.length) return;
    const changes = {};
    for (const key of keys) {
      changes[key] = fields.get(key).read();
      fields.get(key).error.textContent = '';
      fields.get(key).control.removeAttribute('aria-invalid');
      saving.add(key);
    }
    updateStatus();
    try {
      const updated = await rpc.request('scenario/update', { id, changes });
      for (const key of keys) saving.delete(key);
      // Keep what was typed while the save was on its way: only fields still showing what was sent
      // take the stored value (tags come back trimmed and deduplicated).
      for (const key of keys) {
        const field = fields.get(key);
        if (sameValue(field.read(), changes[key])) field.write(updated[key]);
      }
      scenario = { ...updated, cards: scenario.cards };
      title.textContent = scenario.name;
    } catch (error) {
      for (const key of keys) saving.delete(key);
      showSaveError(error, keys);
    }
    updateStatus();
  }

  function showSaveError(error, keys) {
    const key = /^changes\.(\w+)/.exec(error?.data?.field ?? '')?.[1];
    const field = fields.get(key);
    if (field && keys.includes(key)) {
      field.error.textContent = describeError(error);
      field.control.setAttribute('aria-invalid', 'true');
      if (currentTab !== (PLOT_FIELDS.some((spec) => spec.key === key) ? 'plot' : 'details')) {
        toast(`${labelOf(key)}: ${describeError(error)}`, { kind: 'error', ms: 8000 });
      }
    } else {
      toast(`Not saved: ${describeError(error)}`, { kind: 'error', ms: 8000 });
    }
  }

  async function startAdventure() {
    await saveScenario();
    try {
      const adventure = await rpc.request('adventure/start', { scenarioId: id });
      ctx.navigate(`#/play/${encodeURIComponent(adventure.id)}`);
    } catch (error) {
      toast(`Could not start an adventure: ${describeError(error)}`, { kind: 'error', ms: 8000 });
    }
  }

  /** The text that would be lost by leaving now, or '' when nothing would. */
  function whatWouldBeLost() {
    const parts = unsavedKeys().map(labelOf);
    const card = cardsPanel?.hasUnsavedCard();
    if (card) parts.push(`the card “${card}”`);
    return parts.join(', ');
  }

  const onBeforeUnload = (event) => {
    if (!whatWouldBeLost()) return;
    event.preventDefault();
    event.returnValue = '';
  };
  leaveGuard = () => {
    const lost = whatWouldBeLost();
    return !lost || window.confirm(`Unsaved changes in “${scenario?.name ?? 'this scenario'}”: ${lost}. Leave and lose them?`);
  };
  const onKeyDown = (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      if (cardsPanel?.saveOpenCard()) return;
      saveScenario();
    }
  };
  window.addEventListener('beforeunload', onBeforeUnload);
  document.addEventListener('keydown', onKeyDown);

  async function load() {
    try {
      scenario = await rpc.request('scenario/get', { id });
    } catch (error) {
      replaceChildren(root, h('div', { class: 'editor-missing' },
        h('p', { class: 'error' }, describeError(error)), h('a', { href: '#/' }, 'Back to the scenarios')));
      return;
    }
    title.textContent = scenario.name;
    const plot = panels.get('plot');
    const plotForm = h('div', { class: 'plot-form' });
    for (const spec of PLOT_FIELDS) buildField(spec, plotForm);
    plot.append(plotForm);
    const details = panels.get('details');
    const detailsForm = h('div', { class: 'details-form' });
    for (const spec of DETAIL_FIELDS) buildField(spec, detailsForm);
    details.append(detailsForm);
    for (const field of fields.values()) field.write(scenario[field.key]);
    cardsPanel = renderCardsPanel(panels.get('cards'), {
      rpc, scenarioId: id, cards: scenario.cards, onDirtyChange: updateStatus,
      onCardsChange: (cards) => { scenario.cards = cards; },
    });
    replaceChildren(root, view);
    selectTab(currentTab, { focus: false });
    updateStatus();
  }

  /** Another tab or a shell changed this scenario: take the new text into every field not being edited. */
  async function refresh() {
    let fresh;
    try {
      fresh = await rpc.request('scenario/get', { id });
    } catch (error) {
      if (error?.code === -31001) {
        toast(`“${scenario.name}” was deleted elsewhere. Your unsaved text stays on this page until you leave it.`, { kind: 'error', ms: 12000 });
      }
      return;
    }
    for (const field of fields.values()) {
      if (!field.dirty() && !saving.has(field.key)) field.write(fresh[field.key]);
    }
    scenario = fresh;
    title.textContent = scenario.name;
    cardsPanel.replaceCards(fresh.cards);
    updateStatus();
  }

  const stopListening = ctx.refreshAfterChanges((changes) => {
    if (!scenario) return;
    if (changes.some((change) => (change.kind === 'scenario' && change.id === id) || (change.kind === 'card' && change.scenarioId === id))) refresh();
  });

  load();

  return () => {
    stopListening();
    cardsPanel?.close();
    window.removeEventListener('beforeunload', onBeforeUnload);
    leaveGuard = null;
    document.removeEventListener('keydown', onKeyDown);
  };
}
