'use strict';
// The daemon's settings as the extension shows and edits them: what each one takes, how a typed
// value is checked before anything is sent, and how models read in a picker. No dependency on the
// `vscode` module. The ranges are the protocol's (PROTOCOL.md, Settings); the daemon checks them again.

/**
 * kind: model | enum | bool | int | multiline. nullable: an empty answer is JSON null.
 * A setting the daemon sends that is not listed here (a newer daemon) is still shown and edited by
 * the type of its value: see settingField().
 */
const SETTINGS_FIELDS = [
  { name: 'model', kind: 'model', help: 'the model that writes the story (provider/model)' },
  { name: 'responseHandling', kind: 'enum', values: ['truncate', 'summarize'], help: 'what happens to history that no longer fits the context' },
  { name: 'allowThinking', kind: 'bool', help: 'let models that can think before they write do so' },
  { name: 'maxOutputTokens', kind: 'int', range: [50, 800], help: 'the longest reply, in tokens' },
  { name: 'baseSystemInstruction', kind: 'multiline', help: 'what the model is told it is, before everything else' },
  { name: 'scanDepth', kind: 'int', range: [0, 100], help: 'recent turns searched for card keys' },
  { name: 'recursionDepth', kind: 'int', range: [0, 10], help: 'rounds of cards that included cards\' text may fire (0: only the story)' },
  { name: 'storytellerDelayMs', kind: 'int', range: [0, 5000], help: 'the offline storyteller\'s pause between words' },
  { name: 'storytellerSeed', kind: 'int', help: 'the offline storyteller\'s seed' },
  { name: 'contextTokens', kind: 'int', range: [256, 2000000], nullable: true, help: 'a cap on the context window; empty: the model\'s whole window' },
  { name: 'autoSummary', kind: 'bool', help: 'rewrite each adventure\'s summary every summaryEveryTurns turns' },
  { name: 'summaryEveryTurns', kind: 'int', range: [2, 1000], help: 'turns between automatic summaries' },
];

const KNOWN = Object.fromEntries(SETTINGS_FIELDS.map((f) => [f.name, f]));

/** The field description of a setting; one the extension does not know is edited by its value's type. */
function settingField(name, value) {
  if (KNOWN[name]) return KNOWN[name];
  if (typeof value === 'boolean') return { name, kind: 'bool', help: '' };
  if (typeof value === 'number' && Number.isInteger(value)) return { name, kind: 'int', help: '' };
  return { name, kind: 'text', help: '' };
}

/** Every setting of a settings/get result, the known ones first in their order. */
function settingFields(settings) {
  const known = SETTINGS_FIELDS.filter((f) => f.name in settings);
  const extra = Object.keys(settings).filter((name) => !KNOWN[name]).sort().map((name) => settingField(name, settings[name]));
  return [...known, ...extra];
}

function formatSetting(value) {
  if (value === null || value === undefined) return '';
  return String(value);
}

/** A setting's value as a picker shows it: empty and null say what they mean, long texts are cut. */
function describeSetting(name, value) {
  if (value === null || value === undefined) return name === 'contextTokens' ? '(the model\'s whole window)' : '(none)';
  const text = String(value);
  const first = text.split('\n')[0];
  return first.length > 60 || text.includes('\n') ? `${first.slice(0, 60)} …` : text;
}

/** Parses a typed value: {value} or {error: a sentence naming the setting and what it takes}. */
function parseSettingInput(field, text) {
  const raw = field.kind === 'multiline' ? text : String(text).trim();
  if (raw === '' && field.nullable) return { value: null };
  switch (field.kind) {
    case 'multiline':
    case 'text':
      return { value: raw };
    case 'model':
      return /^[^/\s]+\/\S+$/.test(raw) ? { value: raw } : { error: `model must be provider/model (e.g. offline/storyteller); got "${raw}"` };
    case 'bool': {
      const b = { true: true, yes: true, on: true, false: false, no: false, off: false }[raw.toLowerCase()];
      return b === undefined ? { error: `${field.name} must be true or false; got "${raw}"` } : { value: b };
    }
    case 'enum':
      return field.values.includes(raw) ? { value: raw } : { error: `${field.name} must be one of ${field.values.join(', ')}; got "${raw}"` };
    case 'int': {
      const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
      let what = field.range ? `a whole number from ${field.range[0]} to ${field.range[1]}` : 'a whole number';
      if (field.nullable) what += ', or empty';
      if (!Number.isSafeInteger(n) || (field.range && (n < field.range[0] || n > field.range[1]))) {
        return { error: `${field.name} must be ${what}; got "${raw}"` };
      }
      return { value: n };
    }
    default:
      throw new Error(`unknown setting kind ${field.kind}`);
  }
}

/** For an input box's validateInput: the error for what is typed so far, or undefined when valid. */
function validateSettingInput(field, text) {
  return parseSettingInput(field, text).error;
}

/** A models/list entry as a quick pick item; the current model is marked, unavailable ones say why. */
function modelItem(model, currentId) {
  const facts = [`${model.contextTokens} tokens of context`, model.local ? 'on this machine' : null, model.supportsThinking ? 'can think' : null];
  return {
    label: model.id,
    description: [model.id === currentId ? '(current)' : null, model.available ? null : 'not available'].filter(Boolean).join(' '),
    detail: model.available ? `${model.name} · ${facts.filter(Boolean).join(' · ')}` : `${model.name} — ${model.reason || 'not available'}`,
    model,
  };
}

/** settings/get result → readable text, one setting a line. */
function settingsToText(settings) {
  return settingFields(settings).map((f) => `${f.name}: ${settings[f.name] === null ? 'null' : JSON.stringify(settings[f.name])}`).join('\n');
}

module.exports = {
  SETTINGS_FIELDS,
  settingField,
  settingFields,
  formatSetting,
  describeSetting,
  parseSettingInput,
  validateSettingInput,
  modelItem,
  settingsToText,
};
