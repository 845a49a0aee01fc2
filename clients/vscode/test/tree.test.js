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
  assert.deepEqual(await tree.children(roots[0]), []);

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
  const alphaKids = await tree.children(alpha);
  assert.deepEqual(alphaKids.map((n) => n.id).sort(), [a1.id, a2.id].sort());
  assert.ok(alphaKids.every((n) => n.kind === 'adventure' && n.collapsible === false));
  assert.equal(alphaKids.find((n) => n.id === a1.id).description, '1 turn');
  const beta = roots.find((n) => n.id === b.id);
  assert.deepEqual((await tree.children(beta)).map((n) => n.label), ['Beta one']);
  assert.equal((await tree.children(beta))[0].description, '0 turns');
  assert.deepEqual(await tree.children(alphaKids[0]), []);

  await s.deleteScenario(b.id);
  roots = await tree.roots();
  assert.ok(!roots.some((n) => n.id === b.id));
  const group = roots[roots.length - 1];
  assert.equal(group.kind, 'group');
  assert.deepEqual((await tree.children(group)).map((n) => n.id), [b1.id]);
  assert.deepEqual((await tree.children()).map((n) => n.id), roots.map((n) => n.id));
});
