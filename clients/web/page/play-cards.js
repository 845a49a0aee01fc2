// The card editor of the play view's Cards tab: every field of an adventure's card, in a <dialog>.
// Keys are one per line, so a key holding a comma (or a /regex/ with one) is kept exactly as written.
import { h, describeError } from './dom.js';
import { modal } from './play-dialogs.js';

// [field, label, kind, extra]; kinds: text, textarea, lines, number, optionalNumber, checkbox, select.
const CARD_FIELDS = [
  ['name', 'Name', 'text'],
  ['type', 'Type', 'text', { list: ['character', 'location', 'item', 'faction', 'lore', 'other'] }],
  ['description', 'Description (what the storyteller is told)', 'textarea', { rows: 5 }],
  ['keys', 'Keys (one a line; /pattern/ for a regular expression)', 'lines'],
  ['secondaryKeys', 'Secondary keys (one a line)', 'lines'],
  ['selectiveLogic', 'With secondary keys, fire when a key and', 'select', { options: [
    ['andAny', 'any secondary key'], ['andAll', 'every secondary key'],
    ['notAny', 'no secondary key'], ['notAll', 'not every secondary key']] }],
  ['constant', 'Always included (needs no keys)', 'checkbox'],
  ['enabled', 'Enabled', 'checkbox'],
  ['order', 'Order (higher goes in first)', 'number'],
  ['probability', 'Probability (%)', 'number'],
  ['scanDepth', 'Scan depth (turns; empty: the setting)', 'optionalNumber'],
  ['group', 'Group (empty: none)', 'optionalText'],
  ['position', 'Position', 'select', { options: [
    ['beforeHistory', 'before the history'], ['afterHistory', 'after the history'], ['atDepth', 'inside the history, at a depth']] }],
  ['depth', 'Depth (turns before the end, for “at a depth”)', 'number'],
  ['sticky', 'Sticky (turns it stays once included)', 'number'],
  ['cooldown', 'Cooldown (turns before it can fire again)', 'number'],
  ['delay', 'Delay (turns before it can fire at all)', 'number'],
  ['excludeRecursion', 'Only the story fires it (not other cards)', 'checkbox'],
  ['preventRecursion', 'Its text fires no other card', 'checkbox'],
  ['notes', 'Notes (for you; never sent to the model)', 'textarea', { rows: 3 }],
];

const DEFAULT_CARD = {
  name: '', type: 'other', description: '', keys: [], secondaryKeys: [], selectiveLogic: 'andAny',
  constant: false, enabled: true, order: 100, probability: 100, scanDepth: null, group: null,
  position: 'beforeHistory', depth: 4, sticky: 0, cooldown: 0, delay: 0, excludeRecursion: false,
  preventRecursion: false, notes: '',
};

export function openCardEditor({ rpc, adventureId, card, onSaved, onDeleted, confirmDialog }) {
  const original = { ...DEFAULT_CARD, ...(card ?? {}) };
  const inputs = {};
  const errors = {};
  let saved = false;

  const fields = CARD_FIELDS.map(([field, label, kind, extra = {}]) => {
    const id = `card-field-${field}`;
    const errorLine = h('p', { class: 'field-error error', id: `${id}-error`, hidden: true });
    errors[field] = errorLine;
    let input;
    const value = original[field];
    if (kind === 'textarea') input = h('textarea', { id, rows: String(extra.rows ?? 4), value });
    else if (kind === 'lines') input = h('textarea', { id, rows: '3', value: value.join('\n') });
    else if (kind === 'checkbox') input = h('input', { id, type: 'checkbox' });
    else if (kind === 'select') input = h('select', { id }, extra.options.map(([option, text]) => h('option', { value: option }, text)));
    else if (kind === 'number' || kind === 'optionalNumber') input = h('input', { id, type: 'number', step: '1', value: value === null ? '' : String(value) });
    else input = h('input', { id, type: 'text', value: value ?? '', list: extra.list ? `${id}-list` : null });
    if (kind === 'checkbox') input.checked = Boolean(value);
    if (kind === 'select') input.value = value;
    input.setAttribute('aria-describedby', errorLine.id);
    inputs[field] = { input, kind };
    const datalist = extra.list ? h('datalist', { id: `${id}-list` }, extra.list.map((option) => h('option', { value: option }))) : null;
    if (kind === 'checkbox') return h('div', { class: `field checkbox-field field-${field}` }, h('label', { for: id }, input, ' ', label), errorLine);
    return h('div', { class: `field field-${field}` }, h('label', { for: id }, label), input, datalist, errorLine);
  });

  const generalError = h('p', { class: 'error', role: 'alert', hidden: true });
  const saveButton = h('button', { type: 'submit', class: 'primary' }, card ? 'Save card' : 'Add card');
  const deleteButton = card ? h('button', { type: 'button', class: 'danger' }, 'Delete card') : null;
  const form = h('form', { class: 'card-form' }, h('div', { class: 'card-fields' }, fields), generalError,
    h('div', { class: 'dialog-buttons' }, deleteButton, h('span', { class: 'spacer' }), saveButton));

  const { dialog, body } = modal(card ? `Card: ${card.name}` : 'New card', { className: 'card-dialog' });
  body.append(form);
  inputs.name.input.focus();

  function read(field) {
    const { input, kind } = inputs[field];
    if (kind === 'checkbox') return input.checked;
    if (kind === 'lines') return input.value.split('\n').filter((line) => line.trim() !== '');
    if (kind === 'number') return input.value.trim() === '' ? NaN : Number(input.value);
    if (kind === 'optionalNumber') return input.value.trim() === '' ? null : Number(input.value);
    if (kind === 'optionalText') return input.value === '' ? null : input.value;
    return input.value;
  }

  function changes() {
    const result = {};
    for (const [field] of CARD_FIELDS) {
      const now = read(field);
      if (JSON.stringify(now) !== JSON.stringify(original[field])) result[field] = now;
    }
    return result;
  }

  // Closing with unsaved changes asks first, so a stray Escape never throws an edit away.
  dialog.addEventListener('cancel', async (event) => {
    if (saved || Object.keys(changes()).length === 0) return;
    event.preventDefault();
    if (await confirmDialog('Discard your changes to this card?', { confirmLabel: 'Discard' })) { saved = true; dialog.close(); }
  });
  dialog.querySelector('.dialog-close').addEventListener('click', (event) => {
    if (saved || Object.keys(changes()).length === 0) return;
    event.stopImmediatePropagation();
    dialog.dispatchEvent(new Event('cancel', { cancelable: true }));
  }, { capture: true });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const line of Object.values(errors)) line.hidden = true;
    generalError.hidden = true;
    for (const [field, , kind] of CARD_FIELDS) {
      if (kind === 'number' && !Number.isInteger(read(field))) return showError(field, 'Enter a whole number.');
      if (kind === 'optionalNumber' && read(field) !== null && !Number.isInteger(read(field))) return showError(field, 'Enter a whole number, or leave it empty.');
    }
    const changed = changes();
    saveButton.disabled = true;
    try {
      if (card) {
        if (Object.keys(changed).length > 0) await rpc.request('card/update', { id: card.id, changes: changed });
      } else {
        await rpc.request('card/create', { adventureId, card: { ...DEFAULT_CARD, ...changed, name: read('name') } });
      }
      saved = true;
      dialog.close();
      await onSaved();
    } catch (error) {
      const field = String(error.data?.field ?? '').replace(/^(card|changes)\./, '').replace(/\[\d+\]$/, '');
      if (errors[field]) showError(field, describeError(error));
      else { generalError.hidden = false; generalError.textContent = `Not saved: ${describeError(error)}`; }
    } finally {
      saveButton.disabled = false;
    }
  });

  deleteButton?.addEventListener('click', async () => {
    if (!(await confirmDialog(`Delete the card “${card.name}”?`))) return;
    try {
      await rpc.request('card/delete', { id: card.id });
      saved = true;
      dialog.close();
      await onDeleted();
    } catch (error) {
      generalError.hidden = false;
      generalError.textContent = `Not deleted: ${describeError(error)}`;
    }
  });

  function showError(field, message) {
    errors[field].hidden = false;
    errors[field].textContent = message;
    inputs[field].input.setAttribute('aria-invalid', 'true');
    inputs[field].input.focus();
  }
}
