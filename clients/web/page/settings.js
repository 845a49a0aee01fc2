// The settings dialog: the model (from models/list) and how answers are written. Each field is saved
// with settings/update the moment it changes, so it applies to the very next turn; the daemon's own
// validation message appears next to the field it names, and nothing else is changed then.
import { h, replaceChildren, describeError } from './dom.js';
import { modal } from './play-dialogs.js';

// [setting, label, kind, hint]; kinds: model, select, checkbox, integer, optionalInteger.
const FIELDS = [
  ['model', 'Model', 'model', 'Which storyteller writes the answers.'],
  ['responseHandling', 'When an answer reaches the length limit', 'select', null, [
    ['truncate', 'Cut it back to its last complete sentence'],
    ['summarize', 'Have the model say it shorter, then cut to a sentence']]],
  ['maxOutputTokens', 'Max output tokens', 'integer', '50–800 tokens per answer.'],
  ['contextTokens', 'Context tokens', 'optionalInteger', 'Caps the prompt below the model’s window (256–2,000,000); empty: the model’s whole window.'],
  ['allowThinking', 'Let the model think before answering (models that support it)', 'checkbox'],
  ['scanDepth', 'Card scan depth', 'integer', 'How many recent turns are searched for card keys (0–100).'],
  ['recursionDepth', 'Card recursion', 'integer', 'Rounds in which a card’s text may fire other cards (0–10).'],
  ['autoSummary', 'Rewrite the summary automatically', 'checkbox'],
  ['summaryEveryTurns', 'Rewrite the summary every', 'integer', 'turns (2–1,000).'],
  ['storytellerDelayMs', 'Offline storyteller pause between words (ms)', 'integer', '0–5,000; 0 writes as fast as it can.'],
  ['storytellerSeed', 'Offline storyteller seed', 'integer', 'The same seed and story give the same text.'],
];

let openDialog = null;

export async function openSettings(ctx) {
  if (openDialog) { openDialog.querySelector('select, input')?.focus(); return; }
  const opener = document.activeElement;
  const { dialog, body } = modal('Settings', { className: 'settings-dialog', onClose: () => { openDialog = null; opener?.focus?.(); } });
  openDialog = dialog;
  body.append(h('p', { class: 'loading' }, 'Reading the settings…'));
  let settings;
  let models;
  try {
    [settings, { models }] = await Promise.all([ctx.rpc.request('settings/get'), ctx.rpc.request('models/list')]);
  } catch (error) {
    replaceChildren(body, h('p', { class: 'error', role: 'alert' }, `Could not read the settings: ${describeError(error)}`));
    return;
  }
  if (!dialog.open) return;

  const controls = {};
  const form = h('form', { class: 'settings-form', onsubmit: (event) => event.preventDefault() },
    FIELDS.map(([setting, label, kind, hint, options]) => {
      const id = `setting-${setting}`;
      const errorLine = h('p', { class: 'field-error error', id: `${id}-error`, role: 'alert', hidden: true });
      const state = h('span', { class: 'save-state', id: `${id}-state`, 'aria-live': 'polite' });
      const hintLine = hint ? h('p', { class: 'hint muted', id: `${id}-hint` }, hint) : null;
      let input;
      if (kind === 'model') {
        const known = models.some((model) => model.id === settings.model);
        input = h('select', { id },
          models.map((model) => h('option', { value: model.id, disabled: !model.available && model.id !== settings.model },
            `${model.id}${model.local ? ' (on this machine)' : ''}${model.available ? '' : ` (not available: ${model.reason ?? 'unknown'})`}`)),
          known ? null : h('option', { value: settings.model }, `${settings.model} (not listed)`));
      } else if (kind === 'select') {
        input = h('select', { id }, options.map(([value, text]) => h('option', { value }, text)));
      } else if (kind === 'checkbox') {
        input = h('input', { id, type: 'checkbox' });
      } else {
        input = h('input', { id, type: 'number', step: '1', inputmode: 'numeric' });
      }
      input.setAttribute('aria-describedby', [hintLine && `${id}-hint`, `${id}-error`].filter(Boolean).join(' '));
      controls[setting] = { input, kind, errorLine, state };
      input.addEventListener('change', () => save(setting));
      if (kind === 'checkbox') {
        return h('div', { class: `field checkbox-field field-${setting}` },
          h('label', { for: id }, input, ' ', label), state, hintLine, errorLine);
      }
      return h('div', { class: `field field-${setting}` }, h('label', { for: id }, label), h('div', { class: 'field-row' }, input, state), hintLine, errorLine);
    }),
    h('label', { for: 'setting-baseSystemInstruction' }, 'Base system instruction (sent first with every turn; read-only)'),
    h('textarea', { id: 'setting-baseSystemInstruction', readonly: true, rows: '4', value: settings.baseSystemInstruction }));
  const modelNote = h('p', { class: 'hint muted model-note' });
  replaceChildren(body, form, modelNote);
  show(settings);
  controls.model.input.focus();

  function show(current) {
    settings = current;
    for (const [setting, { input, kind }] of Object.entries(controls)) {
      // A field the daemon refused keeps what was typed beside its message, until it is corrected.
      if (input.getAttribute('aria-invalid') === 'true') continue;
      if (kind === 'checkbox') input.checked = Boolean(current[setting]);
      else input.value = current[setting] === null ? '' : String(current[setting]);
    }
    const model = models.find((candidate) => candidate.id === current.model);
    modelNote.textContent = model ? `${model.name}: ${model.contextTokens.toLocaleString('en')}-token window, up to ${model.maxOutputTokens.toLocaleString('en')} output tokens${model.supportsThinking ? ', can think' : ''}.` : '';
  }

  function read(setting) {
    const { input, kind } = controls[setting];
    if (kind === 'checkbox') return input.checked;
    if (kind === 'integer' || kind === 'optionalInteger') {
      const text = input.value.trim();
      if (text === '') return kind === 'optionalInteger' ? null : undefined;
      return /^-?\d+$/.test(text) ? Number(text) : undefined;
    }
    return input.value;
  }

  async function save(setting) {
    const { input, kind, errorLine, state } = controls[setting];
    const value = read(setting);
    errorLine.hidden = true;
    input.removeAttribute('aria-invalid');
    if (value === undefined) {
      // A browser reports a half-typed number as empty: say so rather than send something else.
      return fail(`Enter a whole number${kind === 'optionalInteger' ? ', or leave it empty for the model’s whole window' : ''}.`);
    }
    state.textContent = 'Saving…';
    try {
      show(await ctx.rpc.request('settings/update', { changes: { [setting]: value } }));
      state.textContent = 'Saved';
      window.dispatchEvent(new CustomEvent('imaginai:settings-changed'));
    } catch (error) {
      fail(describeError(error));
    }

    function fail(message) {
      state.textContent = 'Not saved';
      errorLine.hidden = false;
      errorLine.textContent = message;
      input.setAttribute('aria-invalid', 'true');
    }
  }
}
