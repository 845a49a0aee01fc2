// The Cards tab: every card of a scenario as a grid or a list, searched and filtered in memory (a
// 300-card lorebook is one pass into a DocumentFragment), and a dialog that edits every field of a card.
import { h, toast, describeError } from './dom.js';
import { ask } from './home.js';

const COMMON_TYPES = ['character', 'location', 'item', 'faction', 'lore', 'other'];
const LOGIC = [
  ['andAny', 'and any secondary key'],
  ['andAll', 'and every secondary key'],
  ['notAny', 'and no secondary key'],
  ['notAll', 'and not every secondary key'],
];
const POSITIONS = [
  ['beforeHistory', 'Before the story'],
  ['afterHistory', 'After the story'],
  ['atDepth', 'At a depth in the story'],
];

/**
 * Every editable field of a card: how it is shown, read back, and what the daemon calls it. `number`
 * fields may be `nullable` (blank means null: scanDepth follows the setting). `text` fields that are
 * `nullable` treat blank as null (group: none).
 */
const CARD_FIELDS = [
  { key: 'name', label: 'Name', kind: 'text', section: 'main' },
  { key: 'type', label: 'Type', kind: 'text', section: 'main', list: 'card-types' },
  { key: 'keys', label: 'Keys', kind: 'list', section: 'main', hint: 'Words that bring this card into the story, separated by commas.' },
  { key: 'description', label: 'Text', kind: 'area', section: 'main', rows: 7, hint: 'What the storyteller is told when the card fires.' },
  { key: 'notes', label: 'Notes', kind: 'area', section: 'main', rows: 3, hint: 'For you only; never sent to the model.' },
  { key: 'enabled', label: 'Enabled', kind: 'check', section: 'rules', hint: 'A disabled card never fires.' },
  { key: 'constant', label: 'Always included', kind: 'check', section: 'rules', hint: 'Needs no keys.' },
  { key: 'secondaryKeys', label: 'Secondary keys', kind: 'list', section: 'rules', hint: 'Separated by commas; qualify the keys as the logic says.' },
  { key: 'selectiveLogic', label: 'Fires on a key', kind: 'select', options: LOGIC, section: 'rules' },
  { key: 'order', label: 'Order', kind: 'number', section: 'rules', hint: 'Higher goes in first and wins its group.' },
  { key: 'probability', label: 'Probability (%)', kind: 'number', min: 0, max: 100, section: 'rules' },
  { key: 'scanDepth', label: 'Scan depth (turns)', kind: 'number', min: 0, max: 100, nullable: true, section: 'rules', hint: 'Blank: the setting.' },
  { key: 'group', label: 'Group', kind: 'text', nullable: true, section: 'rules', hint: 'Of fired cards in a group, only the highest order goes in. Blank: none.' },
  { key: 'position', label: 'Position', kind: 'select', options: POSITIONS, section: 'rules' },
  { key: 'depth', label: 'Depth (turns from the end)', kind: 'number', min: 0, max: 10000, section: 'rules', hint: 'For “at a depth”.' },
  { key: 'sticky', label: 'Sticky (turns)', kind: 'number', min: 0, max: 10000, section: 'rules' },
  { key: 'cooldown', label: 'Cooldown (turns)', kind: 'number', min: 0, max: 10000, section: 'rules' },
  { key: 'delay', label: 'Delay (turns)', kind: 'number', min: 0, max: 10000, section: 'rules' },
  { key: 'excludeRecursion', label: 'Only the story fires it', kind: 'check', section: 'rules', hint: 'Not other cards’ text.' },
  { key: 'preventRecursion', label: 'Its text fires no other card', kind: 'check', section: 'rules' },
];

/**
 * Whether a field still shows the stored value. A text field's value has its line breaks as "\n" whatever
 * the stored text had ("\r\n" from an imported file): that alone is no edit, and must not be saved over it.
 */
export function sameValue(shown, stored) {
  if (Array.isArray(shown) || Array.isArray(stored)) return JSON.stringify(shown) === JSON.stringify(stored);
  if (typeof shown === 'string' && typeof stored === 'string') return shown === stored.replace(/\r\n?/g, '\n');
  return shown === stored;
}

export function parseList(text) {
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

export function renderCardsPanel(panel, { rpc, scenarioId, cards: initialCards, onDirtyChange, onCardsChange }) {
  let cards = initialCards;
  let layout = localStorage.getItem('imaginai.cardsLayout') === 'list' ? 'list' : 'grid';
  let openEditor = null;   // the card dialog's {dirtyName(), save(), close()}
  let drawn = false;

  const search = h('input', { type: 'search', id: 'card-search', placeholder: 'Search names, keys and text', autocomplete: 'off', oninput: draw });
  const typeFilter = h('select', { id: 'card-type-filter', onchange: draw });
  const count = h('span', { class: 'muted card-total', role: 'status' });
  const gridButton = h('button', { type: 'button', 'aria-pressed': 'true', onclick: () => setLayout('grid') }, 'Grid');
  const listButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => setLayout('list') }, 'List');
  const container = h('div', { class: 'cards-view' });
  const addButton = h('button', { type: 'button', class: 'primary', onclick: () => editCard(null) }, 'Add card');
  panel.append(
    h('div', { class: 'cards-toolbar' },
      h('label', { for: 'card-search', class: 'visually-hidden' }, 'Search cards'), search,
      h('label', { for: 'card-type-filter', class: 'visually-hidden' }, 'Card type'), typeFilter,
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Layout' }, gridButton, listButton),
      count,
      addButton),
    container,
    h('datalist', { id: 'card-types' }, COMMON_TYPES.map((type) => h('option', { value: type }))));

  function setLayout(next) {
    layout = next;
    localStorage.setItem('imaginai.cardsLayout', layout);
    draw();
  }

  function fillTypeFilter() {
    const chosen = typeFilter.value;
    const types = [...new Set(cards.map((card) => card.type))].sort((a, b) => a.localeCompare(b));
    typeFilter.replaceChildren(h('option', { value: '' }, 'All types'), ...types.map((type) => h('option', { value: type }, type)));
    typeFilter.value = types.includes(chosen) ? chosen : '';
  }

  function matches() {
    const needle = search.value.trim().toLowerCase();
    const type = typeFilter.value;
    return cards.filter((card) => (!type || card.type === type) && (!needle
      || card.name.toLowerCase().includes(needle)
      || card.description.toLowerCase().includes(needle)
      || card.keys.some((key) => key.toLowerCase().includes(needle))));
  }

  function draw() {
    drawn = true;
    gridButton.setAttribute('aria-pressed', String(layout === 'grid'));
    listButton.setAttribute('aria-pressed', String(layout === 'list'));
    const shown = matches();
    count.textContent = shown.length === cards.length ? `${cards.length} cards` : `${shown.length} of ${cards.length} cards`;
    const fragment = document.createDocumentFragment();
    if (layout === 'grid') {
      const grid = h('ul', { class: 'card-grid', 'aria-label': 'Cards' });
      for (const card of shown) grid.append(cardTile(card));
      fragment.append(grid);
    } else {
      const body = h('tbody');
      for (const card of shown) body.append(cardRow(card));
      fragment.append(h('table', { class: 'card-list', 'aria-label': 'Cards' },
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Keys', 'Order', 'State', ''].map((label) => h('th', { scope: 'col' }, label)))),
        body));
    }
    if (!shown.length) {
      fragment.append(h('p', { class: 'muted empty' }, cards.length ? 'No card matches.' : 'No cards yet. Add one, or import a lorebook from the home page.'));
    }
    container.replaceChildren(fragment);
  }

  function flags(card) {
    return [!card.enabled && 'disabled', card.constant && 'always', card.group !== null && `group ${card.group}`].filter(Boolean);
  }

  function cardTile(card) {
    return h('li', { class: `card-tile${card.enabled ? '' : ' off'}`, dataset: { id: card.id } },
      h('button', { type: 'button', class: 'card-open', 'aria-label': `Edit card ${card.name}`, onclick: () => editCard(card) },
        h('span', { class: 'card-head' }, h('span', { class: 'card-name' }, card.name), h('span', { class: 'type' }, card.type)),
        h('span', { class: 'keys' }, card.constant ? 'always included' : card.keys.join(', ') || 'no keys'),
        h('span', { class: 'excerpt' }, card.description.slice(0, 220)),
        flags(card).length ? h('span', { class: 'flags' }, flags(card).map((flag) => h('span', { class: 'flag' }, flag))) : null));
  }

  function cardRow(card) {
    return h('tr', { dataset: { id: card.id }, class: card.enabled ? '' : 'off' },
      h('td', {}, h('button', { type: 'button', class: 'link', 'aria-label': `Edit card ${card.name}`, onclick: () => editCard(card) }, card.name)),
      h('td', {}, card.type),
      h('td', { class: 'keys' }, card.constant ? 'always' : card.keys.join(', ')),
      h('td', { class: 'num' }, String(card.order)),
      h('td', {}, flags(card).join(', ') || 'on'),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', 'aria-label': `Duplicate card ${card.name}`, onclick: () => duplicateCard(card) }, 'Duplicate'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete card ${card.name}`, onclick: () => deleteCard(card) }, 'Delete')));
  }

  function setCards(next) {
    cards = next;
    onCardsChange(cards);
    fillTypeFilter();
    draw();
  }

  async function duplicateCard(card) {
    try {
      const copy = await rpc.request('card/duplicate', { id: card.id });
      setCards([...cards, copy]);
      toast(`Made a copy of “${card.name}” at the end.`);
      return copy;
    } catch (error) {
      toast(`Could not duplicate “${card.name}”: ${describeError(error)}`, { kind: 'error', ms: 8000 });
      return null;
    }
  }

  async function deleteCard(card) {
    const answer = await ask({ title: `Delete the card “${card.name}”?`, body: 'It is deleted from this scenario for good; adventures already started keep their copy.', confirm: 'Delete card', danger: true });
    if (answer !== 'yes') return false;
    try {
      await rpc.request('card/delete', { id: card.id });
      setCards(cards.filter((other) => other.id !== card.id));
      toast(`Deleted “${card.name}”.`);
      return true;
    } catch (error) {
      toast(`Could not delete “${card.name}”: ${describeError(error)}`, { kind: 'error', ms: 8000 });
      return false;
    }
  }

  /** Opens the card dialog on `card`, or on a new card when null. */
  function editCard(card) {
    openEditor?.close();
    const isNew = card === null;
    const base = card ?? { name: '', type: 'other', keys: [], description: '', notes: '', enabled: true, constant: false,
      secondaryKeys: [], selectiveLogic: 'andAny', order: 100, probability: 100, scanDepth: null, group: null,
      position: 'beforeHistory', depth: 4, sticky: 0, cooldown: 0, delay: 0, excludeRecursion: false, preventRecursion: false };
    const controls = new Map();
    const sections = { main: h('div', { class: 'card-main' }), rules: h('fieldset', { class: 'card-rules' }, h('legend', {}, 'Rules')) };

    for (const spec of CARD_FIELDS) {
      const controlId = `card-${spec.key}`;
      const errorId = `${controlId}-error`;
      const hintId = `${controlId}-hint`;
      let control;
      if (spec.kind === 'area') control = h('textarea', { id: controlId, rows: spec.rows });
      else if (spec.kind === 'check') control = h('input', { type: 'checkbox', id: controlId });
      else if (spec.kind === 'select') control = h('select', { id: controlId }, spec.options.map(([value, label]) => h('option', { value }, label)));
      else if (spec.kind === 'number') control = h('input', { type: 'number', id: controlId, step: 1, min: spec.min, max: spec.max, inputmode: 'numeric' });
      else control = h('input', { id: controlId, autocomplete: 'off', list: spec.list });
      control.setAttribute('aria-describedby', `${spec.hint ? hintId : ''} ${errorId}`.trim());
      const error = h('p', { class: 'field-error', id: errorId });
      const value = base[spec.key];
      if (spec.kind === 'check') control.checked = value;
      else if (spec.kind === 'list') control.value = value.join(', ');
      else control.value = value === null ? '' : String(value);
      controls.set(spec.key, { spec, control, error });
      const label = h('label', { for: controlId }, spec.label);
      const hint = spec.hint ? h('span', { class: 'hint muted', id: hintId }, spec.hint) : null;
      sections[spec.section].append(spec.kind === 'check'
        ? h('div', { class: `field check field-${spec.key}` }, control, label, hint, error)
        : h('div', { class: `field field-${spec.key}` }, label, control, hint, error));
    }

    /** The field's value as the daemon takes it, or an Error saying what to type instead. */
    function read({ spec, control }) {
      if (spec.kind === 'check') return control.checked;
      if (spec.kind === 'list') return parseList(control.value);
      if (spec.kind === 'number') {
        if (control.value === '') {
          if (spec.nullable) return null;
          return new Error('Enter a whole number.');
        }
        const number = Number(control.value);
        return Number.isInteger(number) ? number : new Error('Enter a whole number.');
      }
      if (spec.nullable && control.value.trim() === '') return null;
      return control.value;
    }

    function changes() {
      const result = {};
      for (const entry of controls.values()) {
        const value = read(entry);
        if (value instanceof Error || !sameValue(value, base[entry.spec.key])) result[entry.spec.key] = value;
      }
      return result;
    }

    const formError = h('p', { class: 'field-error form-error', role: 'alert' });
    const heading = h('h2', { id: 'card-dialog-title' }, isNew ? 'New card' : card.name);
    const saveButton = h('button', { type: 'submit', class: 'primary' }, isNew ? 'Add card' : 'Save card');
    const dialog = h('dialog', { class: 'card-dialog', 'aria-labelledby': 'card-dialog-title' });
    const form = h('form', { method: 'dialog', novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } },
      h('div', { class: 'card-dialog-head' }, heading,
        h('button', { type: 'button', class: 'close', 'aria-label': 'Close', onclick: () => requestClose() }, '×')),
      h('div', { class: 'card-dialog-body' }, sections.main, sections.rules),
      formError,
      h('div', { class: 'dialog-actions' },
        isNew ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (await deleteCard(card)) finish();
        } }, 'Delete'),
        isNew ? null : h('button', { type: 'button', onclick: async () => {
          const copy = await duplicateCard(card);
          if (copy) { finish(); editCard(copy); }
        } }, 'Duplicate'),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', onclick: () => requestClose() }, 'Cancel'),
        saveButton));
    dialog.append(form);
    form.addEventListener('input', onDirtyChange);
    form.addEventListener('change', onDirtyChange);

    let sending = false;
    async function save() {
      const changed = changes();
      for (const { control, error } of controls.values()) {
        error.textContent = '';
        control.removeAttribute('aria-invalid');
      }
      formError.textContent = '';
      const invalid = Object.entries(changed).filter(([, value]) => value instanceof Error);
      if (invalid.length) {
        for (const [key, problem] of invalid) showFieldError(key, problem.message);
        controls.get(invalid[0][0]).control.focus();
        return false;
      }
      if (!isNew && Object.keys(changed).length === 0) {
        finish();
        return true;
      }
      sending = true;
      saveButton.disabled = true;
      try {
        if (isNew) {
          const created = await rpc.request('card/create', { scenarioId, card: { ...changed, name: read(controls.get('name')) } });
          setCards([...cards, created]);
          toast(`Added “${created.name}”.`);
          finish(created.id);
          return true;
        } else {
          const updated = await rpc.request('card/update', { id: card.id, changes: changed });
          setCards(cards.map((other) => (other.id === updated.id ? updated : other)));
        }
        finish();
        return true;
      } catch (error) {
        const key = /^(?:changes|card)\.(\w+)/.exec(error?.data?.field ?? '')?.[1];
        if (key && controls.has(key)) {
          showFieldError(key, describeError(error));
          controls.get(key).control.focus();
        } else {
          formError.textContent = describeError(error);
        }
        return false;
      } finally {
        sending = false;
        saveButton.disabled = false;
        onDirtyChange();
      }
    }

    function showFieldError(key, message) {
      const { control, error } = controls.get(key);
      error.textContent = message;
      control.setAttribute('aria-invalid', 'true');
    }

    function dirty() {
      return !sending && Object.keys(changes()).length > 0;
    }

    async function requestClose() {
      if (dirty()) {
        const answer = await ask({ title: `Discard your changes to “${isNew ? 'the new card' : card.name}”?`,
          body: 'What you typed in this card has not been saved.', confirm: 'Discard changes', danger: true });
        if (answer !== 'yes') return;
      }
      finish();
    }

    /** Closes the dialog; keyboard focus goes back to the card's tile (redrawn by a save), else the Add button. */
    function finish(focusId = card?.id) {
      openEditor = null;
      dialog.close();
      dialog.remove();
      onDirtyChange();
      const tile = focusId && container.querySelector(`[data-id="${CSS.escape(focusId)}"] button`);
      (tile || addButton).focus();
    }

    // Escape asks the same question as Cancel instead of dropping what was typed.
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      requestClose();
    });

    openEditor = {
      dirtyName: () => (dirty() ? (isNew ? read(controls.get('name')) || 'new card' : card.name) : ''),
      save,
      close: finish,
    };
    document.body.append(dialog);
    dialog.showModal();
    controls.get('name').control.focus();
  }

  fillTypeFilter();

  return {
    /** Draws the cards the first time the tab is shown (a Plot-only visit never builds 300 tiles). */
    shown() {
      if (!drawn) draw();
    },
    hasUnsavedCard: () => openEditor?.dirtyName() || '',
    saveOpenCard() {
      if (!openEditor) return false;
      openEditor.save();
      return true;
    },
    replaceCards(next) {
      cards = next;
      fillTypeFilter();
      if (drawn) draw();
    },
    close() {
      openEditor?.close();
    },
  };
}
