'use strict';
// Cards and their rules as the extension shows and edits them: how each field reads, what a user may
// type for it, and the card/update changes an edit makes. No dependency on the `vscode` module, so
// the parsing and validation are tested by `node --test` against the real daemon.

const LOGIC = ['andAny', 'andAll', 'notAny', 'notAll'];
const POSITIONS = ['beforeHistory', 'afterHistory', 'atDepth'];
const TURNS = [0, 10000];

/**
 * Every field of a card the extension edits, in the order the field picker lists them.
 * kind: text | multiline | list | bool | int | enum. nullable: an empty answer is JSON null.
 * default: what a daemon that predates the rules means when it sends no value.
 */
const CARD_FIELDS = [
  { name: 'name', kind: 'text', help: 'the card\'s title', required: true },
  { name: 'type', kind: 'text', help: 'character, location, item, faction, lore, …', required: true },
  { name: 'keys', kind: 'list', default: [], help: 'words that fire the card, comma-separated; /regex/flags allowed' },
  { name: 'secondaryKeys', kind: 'list', default: [], help: 'qualify the keys, as selectiveLogic says' },
  {
    name: 'selectiveLogic', kind: 'enum', values: LOGIC, default: 'andAny', help: 'how a key combines with the secondary keys',
    choices: {
      andAny: 'a key and any secondary key',
      andAll: 'a key and every secondary key',
      notAny: 'a key and no secondary key',
      notAll: 'a key and not every secondary key',
    },
  },
  { name: 'constant', kind: 'bool', default: false, help: 'always included; needs no keys' },
  { name: 'enabled', kind: 'bool', default: true, help: 'a disabled card never fires and is kept as it is' },
  { name: 'order', kind: 'int', default: 100, help: 'higher is kept first when the card budget is short, and wins its group' },
  { name: 'probability', kind: 'int', range: [0, 100], default: 100, help: 'the chance in percent that a fired card is included' },
  { name: 'group', kind: 'text', nullable: true, help: 'of fired cards in one group only the highest order is included; empty: no group' },
  { name: 'scanDepth', kind: 'int', range: [0, 100], nullable: true, help: 'recent turns searched for its keys; empty: the scanDepth setting' },
  {
    name: 'position', kind: 'enum', values: POSITIONS, default: 'beforeHistory', help: 'where its text goes in the prompt',
    choices: {
      beforeHistory: 'before the story so far',
      afterHistory: 'after the story so far',
      atDepth: 'inside the story, depth turns from the end',
    },
  },
  { name: 'depth', kind: 'int', range: TURNS, default: 4, help: 'for atDepth: turns from the end of the story' },
  { name: 'sticky', kind: 'int', range: TURNS, default: 0, help: 'turns it stays included once fired' },
  { name: 'cooldown', kind: 'int', range: TURNS, default: 0, help: 'turns after that before it can fire again' },
  { name: 'delay', kind: 'int', range: TURNS, default: 0, help: 'turns the story needs before it can fire' },
  { name: 'excludeRecursion', kind: 'bool', default: false, help: 'only the story fires it, never another card\'s text' },
  { name: 'preventRecursion', kind: 'bool', default: false, help: 'its text fires no other card' },
  { name: 'description', kind: 'multiline', default: '', help: 'what the model is told' },
  { name: 'notes', kind: 'multiline', default: '', help: 'for you only; never sent to the model' },
];

const FIELD = Object.fromEntries(CARD_FIELDS.map((f) => [f.name, f]));

function field(name) {
  const f = FIELD[name];
  if (!f) throw new Error(`a card has no field "${name}"`);
  return f;
}

/** The card's value of a field, with the default for a card from a daemon that predates the rules. */
function valueOf(card, name) {
  const f = field(name);
  const v = card[name];
  return v === undefined ? (f.default === undefined ? null : f.default) : v;
}

/** Splits a comma-separated key list; a key written /pattern/flags may contain commas. */
function parseKeys(text) {
  const keys = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /[\s,]/.test(text[i])) i++;
    if (i >= n) break;
    let end = -1;
    if (text[i] === '/') {
      // a regex key runs to a closing '/' (not escaped) whose flags are followed by a comma or the end
      for (let k = i + 1; k < n; k++) {
        if (text[k] === '\\') { k++; continue; }
        if (text[k] !== '/') continue;
        let flagsEnd = k;
        while (flagsEnd + 1 < n && /[ism]/.test(text[flagsEnd + 1])) flagsEnd++;
        if (/^\s*(,|$)/.test(text.slice(flagsEnd + 1))) { end = flagsEnd; break; }
      }
    }
    if (end < 0) {
      const comma = text.indexOf(',', i);
      end = (comma < 0 ? n : comma) - 1;
    }
    const key = text.slice(i, end + 1).trim();
    if (key) keys.push(key);
    i = end + 1;
  }
  return keys;
}

/** How a field's value reads in a list or an input box. */
function formatValue(name, value) {
  const f = field(name);
  if (value === undefined) value = f.default === undefined ? null : f.default;
  if (value === null) return '';
  if (f.kind === 'list') return value.join(', ');
  if (f.kind === 'bool') return value ? 'true' : 'false';
  return String(value);
}

/** A short reading of a value for the field picker: nulls and empty texts say what they mean. */
function describeValue(name, value) {
  const f = field(name);
  const text = formatValue(name, value);
  if (text !== '') {
    if (f.kind === 'multiline') {
      const firstLine = text.split('\n')[0];
      const more = text.includes('\n') || firstLine.length > 60 ? ' …' : '';
      return `${firstLine.slice(0, 60)}${more}`;
    }
    return text;
  }
  if (name === 'group') return '(no group)';
  if (name === 'scanDepth') return '(the setting)';
  return '(empty)';
}

/**
 * Parses what a user typed for a field. Returns {value} (null for an emptied nullable field) or
 * {error: a sentence naming the field and what it takes}.
 */
function parseFieldInput(name, text) {
  const f = field(name);
  const raw = f.kind === 'multiline' ? text : String(text).trim();
  if (raw === '' && f.nullable) return { value: null };
  switch (f.kind) {
    case 'multiline':
      return { value: raw };
    case 'text':
      return raw === '' ? { error: `${name} must not be empty` } : { value: raw };
    case 'list':
      return { value: parseKeys(raw) };
    case 'bool': {
      const b = { true: true, yes: true, on: true, false: false, no: false, off: false }[raw.toLowerCase()];
      return b === undefined ? { error: `${name} must be true or false; got "${raw}"` } : { value: b };
    }
    case 'int': {
      const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
      let what = f.range ? `a whole number from ${f.range[0]} to ${f.range[1]}` : 'a whole number';
      if (f.nullable) what += ', or empty for the setting';
      if (!Number.isSafeInteger(n) || (f.range && (n < f.range[0] || n > f.range[1]))) {
        return { error: `${name} must be ${what}; got "${raw}"` };
      }
      return { value: n };
    }
    case 'enum':
      return f.values.includes(raw) ? { value: raw } : { error: `${name} must be one of ${f.values.join(', ')}; got "${raw}"` };
    default:
      throw new Error(`unknown field kind ${f.kind}`);
  }
}

/** For an input box's validateInput: the error for what is typed so far, or undefined when valid. */
function validateFieldInput(name, text) {
  return parseFieldInput(name, text).error;
}

function sameValue(a, b) {
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

/**
 * The card/update `changes` that bring `card` to the edited values: only the fields whose value
 * differs (an empty object when nothing changed). `edits` maps field names to typed text
 * (parsed here) or, with `{parsed: true}`, to wire values. Throws an Error naming the first bad field.
 */
function buildChanges(card, edits, { parsed = false } = {}) {
  const changes = {};
  for (const [name, input] of Object.entries(edits)) {
    let value = input;
    if (!parsed) {
      const result = parseFieldInput(name, input);
      if (result.error) throw new Error(result.error);
      value = result.value;
    } else {
      field(name);
    }
    if (!sameValue(value, valueOf(card, name))) changes[name] = value;
  }
  return changes;
}

/** The rules that change whether a card fires at all, as short words ("constant", "disabled"). */
function cardFlags(card) {
  const flags = [];
  if (card.constant) flags.push('constant');
  if (card.enabled === false) flags.push('disabled');
  return flags;
}

/** A tree item's description: the type, then the rules that differ from a plain card. */
function cardSummary(card) {
  const parts = [card.type, ...cardFlags(card)];
  if (card.group !== undefined && card.group !== null) parts.push(`group ${card.group}`);
  if (card.probability !== undefined && card.probability !== 100) parts.push(`${card.probability}%`);
  if (card.order !== undefined && card.order !== 100) parts.push(`order ${card.order}`);
  return parts.join(' · ');
}

/** Every field of a card as `name: value` lines (a tooltip, or a read-only view). */
function cardToText(card) {
  const lines = [];
  for (const f of CARD_FIELDS) {
    if (f.kind === 'multiline') continue;
    lines.push(`${f.name}: ${describeValue(f.name, card[f.name])}`);
  }
  for (const name of ['description', 'notes']) {
    lines.push('', `── ${name} ──`, valueOf(card, name));
  }
  return lines.join('\n');
}

const LEFT_OUT = {
  budget: 'over the card budget',
  group: 'another card of its group has a higher order',
  probability: 'its probability roll failed',
};

/**
 * What brought a fired card into the context (story/preview firedCards). Daemons before recursion
 * send only `key`; later ones add `trigger` and `firedBy`, and `key` may be null.
 */
function firedByText(c, fired = []) {
  const key = c.key === null || c.key === undefined ? null : `key "${c.key}"`;
  switch (c.trigger) {
    case 'constant':
      return 'constant';
    case 'sticky':
      return `sticky from an earlier turn${key ? `, ${key}` : ''}`;
    case 'card': {
      const by = c.firedBy ? fired.find((other) => other.cardId === c.firedBy) : null;
      const source = by ? `card "${by.name}"` : c.firedBy ? `card ${c.firedBy}` : 'another card\'s text';
      return key ? `${key} in ${source}` : `by ${source}`;
    }
    default:
      return key || 'no key';
  }
}

/** Why a fired card was left out, or '' when it is included. */
function leftOutText(c) {
  if (c.included !== false) return '';
  return LEFT_OUT[c.leftOut] || c.leftOut || LEFT_OUT.budget;
}

// A card's description or notes open as a document of the `imaginai-card` file system, so that
// text of any length and any number of lines is edited in an editor and saved with Ctrl+S.
// Path: /<scenario|adventure>/<owner id>/<card id>/<card name> <field>.txt (the last part names the tab).
const CARD_TEXT_SCHEME = 'imaginai-card';
const TEXT_FIELDS = ['description', 'notes'];

function cardTextPath(owner, card, name) {
  if (!TEXT_FIELDS.includes(name)) throw new Error(`only ${TEXT_FIELDS.join(' and ')} open as documents, not ${name}`);
  const [kind, id] = owner.scenarioId ? ['scenario', owner.scenarioId] : ['adventure', owner.adventureId];
  const title = String(card.name).replace(/[\\/]/g, '_');
  return `/${kind}/${encodeURIComponent(id)}/${encodeURIComponent(card.id)}/${title} ${name}.txt`;
}

/** {owner, cardId, field} of a card text path; throws on a path this extension did not make. */
function parseCardTextPath(path) {
  const m = /^\/(scenario|adventure)\/([^/]+)\/([^/]+)\/.* (description|notes)\.txt$/.exec(path);
  if (!m) throw new Error(`not a card text path: ${path}`);
  const ownerId = decodeURIComponent(m[2]);
  return {
    owner: m[1] === 'scenario' ? { scenarioId: ownerId } : { adventureId: ownerId },
    cardId: decodeURIComponent(m[3]),
    field: m[4],
  };
}

/** The current card of an owner ({scenarioId} or {adventureId}); throws when it was deleted. */
async function fetchCard(session, owner, cardId) {
  const holder = owner.scenarioId ? await session.getScenario(owner.scenarioId) : await session.getAdventure(owner.adventureId);
  const card = holder.cards.find((c) => c.id === cardId);
  if (!card) throw new Error(`the card ${cardId} is no longer there (deleted?)`);
  return card;
}

// An adventure's summary is served by the same file system, so it opens and saves like a card text.
const SUMMARY_PATH = /^\/summary\/([^/]+)\/.* summary\.md$/;

function summaryPath(adventure) {
  const title = String(adventure.name).replace(/[\\/]/g, '_');
  return `/summary/${encodeURIComponent(adventure.id)}/${title} summary.md`;
}

/** The adventure id of a summary path, or null for any other path. */
function summaryAdventureId(path) {
  const m = SUMMARY_PATH.exec(path);
  return m ? decodeURIComponent(m[1]) : null;
}

// A scenario's or an adventure's long text fields open as documents too (path:
// /<scenario|adventure>-text/<id>/<name> <field>.md), and so do a turn's text
// (/turn/<adventure id>/<turn id>/<adventure name> turn <index>.txt) and the base system instruction
// (/settings/baseSystemInstruction.md): everything a person writes at length is edited in an editor.
const HOLDER_TEXT_FIELDS = ['instructions', 'plotEssentials', 'authorsNotes', 'openingScene', 'playerDescription'];
const HOLDER_TEXT_PATH = /^\/(scenario|adventure)-text\/([^/]+)\/.* (instructions|plotEssentials|authorsNotes|openingScene|playerDescription)\.md$/;
const TURN_PATH = /^\/turn\/([^/]+)\/([^/]+)\/[^/]*\.txt$/;
const SETTINGS_TEXT_PATH = '/settings/baseSystemInstruction.md';

function holderTextPath(kind, holder, name) {
  if (!HOLDER_TEXT_FIELDS.includes(name)) throw new Error(`only ${HOLDER_TEXT_FIELDS.join(', ')} open as documents, not ${name}`);
  if (kind !== 'scenario' && kind !== 'adventure') throw new Error(`not a scenario or an adventure: ${kind}`);
  const title = String(holder.name).replace(/[\\/]/g, '_');
  return `/${kind}-text/${encodeURIComponent(holder.id)}/${title} ${name}.md`;
}

function turnTextPath(adventure, turn) {
  const title = String(adventure.name).replace(/[\\/]/g, '_');
  return `/turn/${encodeURIComponent(adventure.id)}/${encodeURIComponent(turn.id)}/${title} turn ${turn.index}.txt`;
}

/** What a document path names: {kind: 'card'|'summary'|'holder'|'turn'|'settings', ...ids}. */
function parseDocumentPath(path) {
  const adventureId = summaryAdventureId(path);
  if (adventureId) return { kind: 'summary', adventureId };
  let m = HOLDER_TEXT_PATH.exec(path);
  if (m) return { kind: 'holder', holderKind: m[1], id: decodeURIComponent(m[2]), field: m[3] };
  m = TURN_PATH.exec(path);
  if (m) return { kind: 'turn', adventureId: decodeURIComponent(m[1]), turnId: decodeURIComponent(m[2]) };
  if (path === SETTINGS_TEXT_PATH) return { kind: 'settings', field: 'baseSystemInstruction' };
  return { kind: 'card', ...parseCardTextPath(path) };
}

async function fetchTurn(session, adventureId, turnId) {
  const { turns } = await session.listTurns(adventureId);
  const turn = turns.find((t) => t.id === turnId);
  if (!turn) throw new Error(`the turn ${turnId} is no longer in the story (deleted or undone?)`);
  return turn;
}

async function readHolder(session, kind, id) {
  return kind === 'scenario' ? session.getScenario(id) : session.getAdventure(id);
}

async function readCardText(session, path) {
  const doc = parseDocumentPath(path);
  switch (doc.kind) {
    case 'summary':
      return (await session.getAdventure(doc.adventureId)).summary;
    case 'holder':
      return (await readHolder(session, doc.holderKind, doc.id))[doc.field];
    case 'turn':
      return (await fetchTurn(session, doc.adventureId, doc.turnId)).text;
    case 'settings':
      return (await session.getSettings())[doc.field];
    default:
      return valueOf(await fetchCard(session, doc.owner, doc.cardId), doc.field);
  }
}

/**
 * Stores the document's text exactly, and only when it differs from what is stored (an unchanged
 * save would add a summary version, bump updatedAt, or race another window's edit for nothing).
 * Resolves with the stored object (card, adventure, scenario, turn or settings).
 */
async function writeCardText(session, path, text) {
  const doc = parseDocumentPath(path);
  switch (doc.kind) {
    case 'summary': {
      const adventure = await session.getAdventure(doc.adventureId);
      return adventure.summary === text ? adventure : session.updateAdventure(doc.adventureId, { summary: text });
    }
    case 'holder': {
      const holder = await readHolder(session, doc.holderKind, doc.id);
      if (holder[doc.field] === text) return holder;
      const changes = { [doc.field]: text };
      return doc.holderKind === 'scenario' ? session.updateScenario(doc.id, changes) : session.updateAdventure(doc.id, changes);
    }
    case 'turn': {
      const turn = await fetchTurn(session, doc.adventureId, doc.turnId);
      return turn.text === text ? turn : session.editTurn(doc.turnId, text);
    }
    case 'settings': {
      const settings = await session.getSettings();
      return settings[doc.field] === text ? settings : session.updateSettings({ [doc.field]: text });
    }
    default: {
      const card = await fetchCard(session, doc.owner, doc.cardId);
      return valueOf(card, doc.field) === text ? card : session.updateCard(doc.cardId, { [doc.field]: text });
    }
  }
}

module.exports = {
  CARD_TEXT_SCHEME,
  TEXT_FIELDS,
  cardTextPath,
  parseCardTextPath,
  fetchCard,
  readCardText,
  writeCardText,
  HOLDER_TEXT_FIELDS,
  holderTextPath,
  turnTextPath,
  parseDocumentPath,
  SETTINGS_TEXT_PATH,
  summaryPath,
  summaryAdventureId,
  CARD_FIELDS,
  field,
  valueOf,
  parseKeys,
  formatValue,
  describeValue,
  parseFieldInput,
  validateFieldInput,
  buildChanges,
  cardFlags,
  cardSummary,
  cardToText,
  firedByText,
  leftOutText,
};
