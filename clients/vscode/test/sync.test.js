'use strict';
// Live sync: library/changed from the daemon refreshes the tree once per burst, an open story view
// when its adventure changed elsewhere (after a running generation, never during it), open documents
// of changed rows, and tells a view whose adventure was deleted. Two daemons share one database file:
// what one commits, the other daemon announces to the extension.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadExtension } = require('../test-support/fake-vscode');
const { BIN } = require('../test-support/helpers');
const { DaemonSession } = require('../src/session');
const cardsModule = require('../src/cards');

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function activate(database) {
  const { extension, log } = loadExtension({ 'imaginai.path': BIN, 'imaginai.database': database });
  const api = extension.activate({ subscriptions: [] });
  const provider = log.treeViews[0].options.treeDataProvider;
  let treeRefreshes = 0;
  provider.onDidChangeTreeData(() => { treeRefreshes += 1; });
  /** Resolves with the first handled burst that satisfies predicate (other bursts may come first). */
  const syncWith = (predicate, what) => within(3000, new Promise((resolve) => {
    const sub = api.onDidSync((e) => { if (predicate(e)) { sub.dispose(); resolve({ ...e, at: Date.now() }); } });
  }), what);
  return { extension, log, api, provider, syncWith, refreshes: () => treeRefreshes };
}

test('a burst of library/changed is one tree refresh', async (t) => {
  // one daemon alone on its database: every notification here is the one this test delivers through
  // the extension's own client, so the count is exact
  const { extension, api, provider, syncWith, refreshes } = activate(':memory:');
  t.after(() => extension.deactivate());
  const [scenario] = await provider.getChildren();
  const session = await api.getSession();
  const before = refreshes();
  const synced = syncWith(() => true, 'the burst handled');
  for (let i = 0; i < 300; i++) {
    session.client._dispatch({ jsonrpc: '2.0', method: 'library/changed', params: { kind: 'card', id: `crd_${i}`, change: 'created', scenarioId: scenario.id } });
  }
  assert.equal((await synced).changes.length, 300);
  assert.equal(refreshes() - before, 1);
});

test('two daemons on one database: the other\'s changes show here; streaming first, then the re-read', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imaginai-vscode-sync-'));
  const database = path.join(dir, 'library.sqlite');
  const { extension, log, api, provider, syncWith, refreshes } = activate(database);
  const other = await DaemonSession.start({ binPath: BIN, database });
  t.after(async () => {
    await extension.deactivate();
    await other.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const [scenario] = await provider.getChildren();
  const session = await api.getSession();
  assert.ok(session.initializeResult.capabilities.notifications.includes('library/changed'), `${BIN} does not send library/changed`);
  await session.updateSettings({ storytellerDelayMs: 0 });

  // an import elsewhere (300 cards): a few tree refreshes at most, not one per card
  const seen = new Set();
  const before = refreshes();
  let bursts = 0;
  const imported = syncWith((e) => {
    bursts += 1;
    for (const c of e.changes) if (c.kind === 'card' && c.change === 'created') seen.add(c.id);
    return seen.size >= 300;
  }, '300 cards announced');
  await other.importCards({ scenarioId: scenario.id }, { format: 'imaginai.cards', version: 1, cards: Array.from({ length: 300 }, (_, i) => ({ name: `Card ${i}`, keys: [`k${i}`] })) });
  await imported;
  assert.equal(refreshes() - before, bursts, 'one refresh per burst');
  assert.ok(bursts <= 5, `${bursts} refreshes for 300 cards`);
  t.diagnostic(`300 cards imported elsewhere: ${bursts} tree refresh(es)`);
  const [group] = await provider.getChildren(scenario);
  assert.equal((await provider.getChildren(group)).length, scenario.summary.cardCount + 300);

  // turns written elsewhere show in the open story view
  log.answers.push('Shared');
  const panel = await api.openStory((await session.startAdventure(scenario.id, 'Shared')).id);
  const page = log.panels[log.panels.length - 1];
  const lastState = () => page.posted.filter((m) => m.type === 'state').pop();
  const forPanel = (e) => e.panels.includes(panel.adventure.id);
  let synced = syncWith(forPanel, 'the other window\'s turns');
  const elsewhere = await other.act(panel.adventure.id, 'do', 'wave from the other window').result;
  const answered = Date.now();
  const latency = (await synced).at - answered;
  assert.match(lastState().html, /wave from the other window/);
  t.diagnostic(`a turn written by the other daemon showed here ${latency} ms after the other daemon answered`);

  // while this view streams, a change elsewhere waits for the generation to settle
  await session.updateSettings({ storytellerDelayMs: 15 });
  const firstChunk = new Promise((resolve) => panel.controller.once('chunk', resolve));
  const generating = panel.run(() => panel.controller.continueStory());
  await firstChunk;
  synced = syncWith(forPanel, 'the edit elsewhere');
  await other.editTurn(elsewhere.playerTurn.id, 'wave, edited elsewhere');
  await synced;
  assert.equal(panel.controller.busy, true, 'still streaming when the edit was announced');
  assert.doesNotMatch(lastState().html, /edited elsewhere/, 'not re-read during the stream');
  await generating;
  assert.match(lastState().html, /wave, edited elsewhere/, 're-read once the generation settled');
  assert.equal(panel.controller.turns.length, 4, 'the opening, the other window\'s exchange, this continuation');
  await session.updateSettings({ storytellerDelayMs: 0 });

  // an open card document is told that its card changed elsewhere
  const card = (await session.getScenario(scenario.id)).cards[0];
  const uri = { scheme: 'imaginai-card', path: cardsModule.cardTextPath({ scenarioId: scenario.id }, card, 'description') };
  await log.fileSystems['imaginai-card'].readFile(uri);
  const fileEvents = [];
  log.fileSystems['imaginai-card'].onDidChangeFile((events) => fileEvents.push(...events));
  synced = syncWith((e) => e.documents > 0, 'the card document told');
  await other.updateCard(card.id, { description: 'Changed elsewhere.' });
  await synced;
  assert.deepEqual(fileEvents.map((e) => e.uri.path), [uri.path]);
  assert.equal(Buffer.from(await log.fileSystems['imaginai-card'].readFile(uri)).toString('utf8'), 'Changed elsewhere.');

  // a scenario made elsewhere appears in the tree
  synced = syncWith((e) => e.changes.some((c) => c.kind === 'scenario' && c.change === 'created'), 'the new scenario');
  await other.createScenario({ name: 'Made elsewhere' });
  await synced;
  assert.ok((await provider.getChildren()).some((n) => n.label === 'Made elsewhere'));

  // the adventure deleted elsewhere: the view says so and sends nothing more
  synced = syncWith(forPanel, 'the deletion');
  await other.deleteAdventure(panel.adventure.id);
  await synced;
  assert.equal(lastState().closed, true);
  assert.match(lastState().error, /^"Shared" was deleted in another window/);
  await page.send({ type: 'act', action: 'do', text: 'anyone there?' });
  assert.match(lastState().error, /was deleted in another window/);
  assert.deepEqual(log.errors, []);
});
