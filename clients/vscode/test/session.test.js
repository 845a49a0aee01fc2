'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { DaemonSession, describeError } = require('../src/session');
const { RpcError, ErrorCodes, ConnectionClosedError } = require('../src/client');
const { BIN, startSession } = require('../test-support/helpers');

test('lifecycle: initialize reports the server, shutdown + exit ends with status 0', async () => {
  const session = await DaemonSession.start({ binPath: BIN, database: ':memory:' });
  assert.equal(session.initializeResult.serverInfo.name, 'imaginai');
  assert.equal(session.initializeResult.protocolVersion, '1.0');
  assert.ok(session.initializeResult.capabilities.methods.includes('story/act'));
  assert.ok(session.alive);
  assert.equal(await session.close(), 0);
  assert.equal(session.alive, false);
  await assert.rejects(session.listScenarios(), ConnectionClosedError);
});

test('a daemon that dies rejects pending requests; a missing binary is reported readably', async () => {
  const session = await DaemonSession.start({ binPath: BIN, database: ':memory:' });
  session.child.kill('SIGKILL');
  await assert.rejects(session.listScenarios(), ConnectionClosedError);
  await assert.rejects(DaemonSession.start({ binPath: '/nonexistent/imaginai' }), (err) => {
    assert.match(describeError(err), /not found/);
    return true;
  });
});

test('the model option is applied as Settings.model', async () => {
  const session = await DaemonSession.start({ binPath: BIN, database: ':memory:', model: 'offline/storyteller' });
  assert.equal((await session.getSettings()).model, 'offline/storyteller');
  await session.close();
});

test('scenario, card and adventure CRUD through the session', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const scenario = await s.createScenario({ name: 'Salt and Static', tags: ['radio'], openingScene: 'Static hisses.' });
  assert.equal((await s.getScenario(scenario.id)).name, 'Salt and Static');
  const updated = await s.updateScenario(scenario.id, { plotEssentials: 'A numbers station.' });
  assert.equal(updated.plotEssentials, 'A numbers station.');
  const card = await s.createCard({ scenarioId: scenario.id }, { name: 'Ines', type: 'character', keys: ['Ines'] });
  assert.deepEqual((await s.updateCard(card.id, { description: 'The operator.' })).description, 'The operator.');
  const copy = await s.duplicateScenario(scenario.id);
  assert.equal(copy.name, 'Salt and Static (copy)');
  assert.equal(copy.cards.length, 1);

  const adventure = await s.startAdventure(scenario.id, 'Night shift');
  assert.equal(adventure.turnCount, 1);
  assert.equal(adventure.cards.length, 1);
  const { adventures } = await s.listAdventures();
  assert.ok(adventures.some((a) => a.id === adventure.id));
  const turns = await s.listTurns(adventure.id);
  assert.equal(turns.turns[0].text, 'Static hisses.');
  assert.equal((await s.updateAdventure(adventure.id, { name: 'Day shift' })).name, 'Day shift');

  const exported = await s.exportScenario(scenario.id);
  assert.equal(exported.format, 'imaginai');
  const imported = await s.importScenario(exported.data);
  assert.equal(imported.name, 'Salt and Static');
  // A file without a title of its own is named after the file the editor read it from.
  const untitled = await s.importScenario([{ keys: 'radio', value: 'A shortwave set.', type: 'item', title: 'Radio' }], undefined, '/tmp/night_shift-cards.json');
  assert.equal(untitled.name, 'night shift cards');
  const cards = await s.exportCards({ adventureId: adventure.id }, 'aidungeon');
  const added = await s.importCards({ scenarioId: copy.id }, cards.data);
  assert.equal(added.imported, 1);
  assert.equal(added.cards.length, 2);

  assert.deepEqual(await s.deleteCard(card.id), { deleted: card.id });
  assert.deepEqual(await s.deleteScenario(scenario.id), { deleted: scenario.id });
  assert.equal((await s.getAdventure(adventure.id)).scenarioId, null);
  assert.deepEqual(await s.deleteAdventure(adventure.id), { deleted: adventure.id });
});

test('errors map to RpcError with code and data', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  await assert.rejects(s.getScenario('scn_nope'), (err) => {
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, ErrorCodes.NotFound);
    assert.equal(err.code, -31001);
    assert.deepEqual(err.data, { kind: 'scenario', id: 'scn_nope' });
    assert.equal(err.method, 'scenario/get');
    assert.match(describeError(err), /No scenario with id scn_nope/);
    return true;
  });
  await assert.rejects(s.deleteCard('crd_nope'), { code: -31001, data: { kind: 'card', id: 'crd_nope' } });
  await assert.rejects(s.createScenario({ name: '  ' }), (err) => {
    assert.equal(err.code, ErrorCodes.InvalidParams);
    assert.equal(err.data.field, 'scenario.name');
    return true;
  });
  await assert.rejects(s.request('scenario/frobnicate'), { code: ErrorCodes.MethodNotFound });
  await assert.rejects(s.updateSettings({ storytellerDelayMs: 99999 }), { code: -32602, data: { field: 'changes.storytellerDelayMs' } });
});
