'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { TreeModel } = require('../src/tree');
const { startSession } = require('../test-support/helpers');

test('the tree lists scenarios and, under each, its adventures; orphans get their own group', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const tree = new TreeModel(s);
  let roots = await tree.roots();
  assert.equal(roots.length, 1, 'a fresh database has the sample scenario');
  assert.equal(roots[0].kind, 'scenario');
  const sampleKids = await tree.children(roots[0]);
  assert.deepEqual(sampleKids.map((n) => n.kind), ['cards'], 'no adventures yet; the cards group');
  const sampleCards = await tree.children(sampleKids[0]);
  assert.equal(sampleCards.length, roots[0].summary.cardCount);
  assert.ok(sampleCards.every((n) => n.kind === 'card' && n.collapsible === false && n.owner.scenarioId === roots[0].id));

  const a = await s.createScenario({ name: 'Alpha', openingScene: 'Once.', cards: [{ name: 'X', keys: ['x'] }] });
  const b = await s.createScenario({ name: 'Beta' });
  const a1 = await s.startAdventure(a.id, 'Alpha one');
  const a2 = await s.startAdventure(a.id, 'Alpha two');
  const b1 = await s.startAdventure(b.id, 'Beta one');

  roots = await tree.roots();
  assert.deepEqual(roots.map((n) => n.label).slice(0, 2).sort(), ['Alpha', 'Beta']);
  const alpha = roots.find((n) => n.id === a.id);
  assert.equal(alpha.description, '1 card');
  assert.equal(alpha.collapsible, true);
  const [alphaCards, ...alphaKids] = await tree.children(alpha);
  assert.deepEqual((await tree.children(alphaCards)).map((n) => n.label), ['X']);
  assert.deepEqual(alphaKids.map((n) => n.id).sort(), [a1.id, a2.id].sort());
  assert.ok(alphaKids.every((n) => n.kind === 'adventure' && n.collapsible === true));
  assert.equal(alphaKids.find((n) => n.id === a1.id).description, '1 turn');
  const beta = roots.find((n) => n.id === b.id);
  assert.deepEqual((await tree.children(beta)).map((n) => n.label), ['Cards', 'Beta one']);
  assert.equal((await tree.children(beta))[1].description, '0 turns');
  const advCards = await tree.children(alphaKids.find((n) => n.id === a1.id));
  assert.deepEqual(advCards.map((n) => [n.kind, n.label, n.owner.adventureId]), [['card', 'X', a1.id]], 'an adventure lists its own cards');
  assert.deepEqual(await tree.children(advCards[0]), []);

  await s.deleteScenario(b.id);
  roots = await tree.roots();
  assert.ok(!roots.some((n) => n.id === b.id));
  const group = roots[roots.length - 1];
  assert.equal(group.kind, 'group');
  assert.deepEqual((await tree.children(group)).map((n) => n.id), [b1.id]);
  assert.deepEqual((await tree.children()).map((n) => n.id), roots.map((n) => n.id));
});

test('a card node shows its type and distinguishing rules, and every field in its tooltip', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const scn = await s.createScenario({
    name: 'Rules',
    cards: [
      { name: 'Plain', type: 'item', keys: ['plain'] },
      { name: 'Fog', type: 'lore', constant: true, enabled: false, group: 'weather', probability: 40, order: 7, notes: 'mine' },
    ],
  });
  const tree = new TreeModel(s);
  const scnNode = (await tree.roots()).find((n) => n.id === scn.id);
  const [group] = await tree.children(scnNode);
  assert.equal(group.description, '2');
  const [plain, fog] = await tree.children(group);
  assert.equal(plain.description, 'item');
  assert.equal(fog.description, 'lore · constant · disabled · group weather · 40% · order 7');
  for (const line of ['constant: true', 'enabled: false', 'group: weather', 'scanDepth: (the setting)', 'selectiveLogic: andAny',
    'position: beforeHistory', 'probability: 40', 'order: 7', 'sticky: 0', '── notes ──\nmine']) {
    assert.ok(fog.tooltip.includes(line), `tooltip has "${line}":\n${fog.tooltip}`);
  }
  assert.ok(plain.tooltip.includes('group: (no group)'));
});
