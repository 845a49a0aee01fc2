'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const cards = require('../src/cards');
const { RpcError, ErrorCodes } = require('../src/client');
const { startSession, sampleAdventure } = require('../test-support/helpers');

async function scenarioWithCard(s, card) {
  const scn = await s.createScenario({ name: 'Rules', cards: [{ name: 'Bell', type: 'item', keys: ['bell'], ...card }] });
  return { owner: { scenarioId: scn.id }, card: scn.cards[0] };
}

test('every field a card has on the wire is listed once, with a kind the editor can ask for', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const { card } = await scenarioWithCard(s, {});
  const wire = Object.keys(card).filter((k) => k !== 'id').sort();
  assert.deepEqual(cards.CARD_FIELDS.map((f) => f.name).sort(), wire);
  for (const f of cards.CARD_FIELDS) assert.ok(['text', 'multiline', 'list', 'bool', 'int', 'enum'].includes(f.kind), f.name);
});

test('what a user types for each kind of field is parsed, and card/update stores exactly that field', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const description = '  Bronze.\n\n\tRings at night.  \n';
  const notes = '\nscript: {"x": 1}\n\n';
  const { owner, card: created } = await scenarioWithCard(s, { description, notes, group: 'old', scanDepth: 5 });
  let card = created;
  const edits = [
    ['constant', 'true', true],
    ['enabled', 'off', false],
    ['excludeRecursion', 'yes', true],
    ['order', ' -3 ', -3],
    ['probability', '0', 0],
    ['sticky', '2', 2],
    ['depth', '10000', 10000],
    ['selectiveLogic', 'notAll', 'notAll'],
    ['position', 'atDepth', 'atDepth'],
    ['secondaryKeys', 'fog, /be,ll/i ,, night', ['fog', '/be,ll/i', 'night']],
    ['keys', '', []],
    ['group', ' bells ', 'bells'],
    ['group', '', null],
    ['scanDepth', '', null],
    ['scanDepth', '100', 100],
    ['name', 'The bell', 'The bell'],
  ];
  for (const [name, typed, want] of edits) {
    assert.equal(cards.validateFieldInput(name, typed), undefined, `${name} "${typed}" is valid`);
    const changes = cards.buildChanges(card, { [name]: typed });
    assert.deepEqual(changes, { [name]: want }, `${name} "${typed}" makes a change of that field only`);
    const answer = await s.updateCard(card.id, changes);
    const stored = await cards.fetchCard(s, owner, card.id);
    assert.deepEqual(stored, answer);
    assert.deepEqual(stored, { ...card, [name]: want }, `${name}: stored, nothing else changed`);
    card = stored;
  }
  assert.equal(card.description, description, 'the description is untouched byte for byte');
  assert.equal(card.notes, notes, 'the notes are untouched byte for byte');
  assert.deepEqual(cards.buildChanges(card, { probability: '0', group: '', name: ' The bell ' }), {}, 'unchanged values send nothing');
  assert.deepEqual(cards.buildChanges(card, { sticky: 2, group: null }, { parsed: true }), {});
});

test('bad values are refused before sending, naming the field; the daemon refuses the same values', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const { owner, card } = await scenarioWithCard(s, {});
  const bad = [
    ['probability', '150', 150, 'probability must be a whole number from 0 to 100; got "150"'],
    ['selectiveLogic', 'foo', 'foo', 'selectiveLogic must be one of andAny, andAll, notAny, notAll; got "foo"'],
    ['position', 'middle', 'middle', 'position must be one of beforeHistory, afterHistory, atDepth; got "middle"'],
    ['sticky', '-1', -1, 'sticky must be a whole number from 0 to 10000; got "-1"'],
    ['scanDepth', '101', 101, 'scanDepth must be a whole number from 0 to 100, or empty for the setting; got "101"'],
    ['constant', 'maybe', 'maybe', 'constant must be true or false; got "maybe"'],
    ['order', '1.5', 1.5, 'order must be a whole number; got "1.5"'],
    ['name', '  ', '', 'name must not be empty'],
  ];
  for (const [name, typed, wire, message] of bad) {
    assert.equal(cards.validateFieldInput(name, typed), message);
    assert.throws(() => cards.buildChanges(card, { [name]: typed }), { message });
    await assert.rejects(s.updateCard(card.id, { [name]: wire }), (err) => {
      assert.ok(err instanceof RpcError && err.code === ErrorCodes.InvalidParams, `${name}: ${err.message}`);
      assert.match(err.data.field, new RegExp(`changes\\.${name}`));
      return true;
    });
  }
  assert.deepEqual(await cards.fetchCard(s, owner, card.id), card, 'nothing was stored');
});

test('a card\'s description and notes read and write through their document path exactly', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  const owner = { adventureId: adventure.id };
  const card = adventure.cards[0];
  const path = cards.cardTextPath(owner, card, 'notes');
  assert.deepEqual(cards.parseCardTextPath(path), { owner, cardId: card.id, field: 'notes' });
  assert.ok(path.endsWith(`${card.name} notes.txt`), path);
  assert.equal(await cards.readCardText(s, path), '');
  const text = '  first, indented\r\n\n\nlast with spaces   \n\n';
  const updated = await cards.writeCardText(s, path, text);
  assert.equal(updated.notes, text);
  assert.equal(await cards.readCardText(s, path), text);
  const descPath = cards.cardTextPath(owner, card, 'description');
  assert.equal(await cards.readCardText(s, descPath), card.description);
  assert.equal((await cards.fetchCard(s, owner, card.id)).description, card.description, 'writing the notes left the description');
  assert.throws(() => cards.cardTextPath(owner, card, 'order'), /only description and notes/);
  assert.throws(() => cards.parseCardTextPath('/elsewhere/x'), /not a card text path/);
});

test('fired cards read as what fired them and why they were left out, with or without the newer fields', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  const preview = await s.preview(adventure.id, 'say', 'who keeps this light?');
  assert.ok(preview.firedCards.length > 0);
  for (const c of preview.firedCards) {
    const by = cards.firedByText(c, preview.firedCards);
    if (c.trigger === undefined || c.trigger === 'story') assert.equal(by, `key "${c.key}"`);
    else assert.ok(by.length > 0);
  }
  const fired = [
    { cardId: 'a', name: 'Bell', key: 'bell', included: true, trigger: 'story', firedBy: null, leftOut: null },
    { cardId: 'b', name: 'Tull', key: 'Tull', included: true, trigger: 'card', firedBy: 'a', leftOut: null },
    { cardId: 'c', name: 'Fog', key: null, included: true, trigger: 'constant', firedBy: null, leftOut: null },
    { cardId: 'd', name: 'Lens', key: null, included: true, trigger: 'sticky', firedBy: null, leftOut: null },
    { cardId: 'e', name: 'Gull', key: 'gull', included: false, trigger: 'story', firedBy: null, leftOut: 'group' },
    { cardId: 'f', name: 'Dice', key: 'dice', included: false, trigger: 'story', firedBy: null, leftOut: 'probability' },
    { cardId: 'g', name: 'Old', key: 'old', included: false },
  ];
  assert.deepEqual(fired.map((c) => [cards.firedByText(c, fired), cards.leftOutText(c)]), [
    ['key "bell"', ''],
    ['key "Tull" in card "Bell"', ''],
    ['constant', ''],
    ['sticky from an earlier turn', ''],
    ['key "gull"', 'another card of its group has a higher order'],
    ['key "dice"', 'its probability roll failed'],
    ['key "old"', 'over the card budget'],
  ]);
  const { previewToText, previewToHtml } = require('../src/story');
  const text = previewToText({ ...preview, firedCards: fired });
  assert.match(text, /✓ Fog \(constant\)/);
  assert.match(text, /✗ Gull \(key "gull"\) — left out: another card of its group has a higher order/);
  assert.match(previewToHtml({ ...preview, firedCards: fired }), /Tull <span class="key">\(key &quot;Tull&quot; in card &quot;Bell&quot;\)<\/span>/);
});
