'use strict';
// Every protocol method the extension sends, driven through its commands, tree, story page and
// documents against the real daemon, as a user would reach them. The last test checks that the
// methods sent cover Protocol/openrpc.json: a method no command reaches any more fails the suite.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { loadExtension } = require('../test-support/fake-vscode');
const { BIN, root } = require('../test-support/helpers');

const openrpc = JSON.parse(fs.readFileSync(path.join(root, '..', '..', 'Protocol', 'openrpc.json'), 'utf8'));
// Methods of openrpc.json the extension never sends, and why. (None: every method is reachable.)
const NEVER_SENT = {};

const sent = new Set(); // methods sent while the user did something (commands, tree, page, documents)
let recording = 0;
const { extension, log } = loadExtension({ 'imaginai.path': BIN, 'imaginai.database': ':memory:' });
{
  // record at the wire: the RpcClient instance the loaded extension uses
  const { RpcClient } = require(path.join(root, 'src', 'client.js'));
  const write = RpcClient.prototype._write;
  RpcClient.prototype._write = function record(message) {
    if (recording > 0 && message.method) sent.add(message.method);
    return write.call(this, message);
  };
}
const api = extension.activate({ subscriptions: [] });
const provider = log.treeViews[0].options.treeDataProvider;

/** Runs what a user does; the methods it sends count as reachable. */
async function user(fn) {
  recording += 1;
  try { return await fn(); } finally { recording -= 1; }
}
const run = (name, ...args) => user(() => vscode().commands.executeCommand(name, ...args));
function vscode() { return require.cache[Object.keys(require.cache).find((k) => k.endsWith('__fake_vscode__.js'))].exports; }
const pick = (label) => (items) => {
  const found = items.find((i) => (typeof i === 'string' ? i : i.label) === label);
  assert.ok(found, `no item "${label}" in ${items.map((i) => i.label || i).join(' | ')}`);
  return found;
};
const fsProvider = () => log.fileSystems['imaginai-card'];
const lastDocument = () => log.documents[log.documents.length - 1];
const save = (doc, text) => user(() => fsProvider().writeFile(doc.uri, Buffer.from(text, 'utf8'), { create: false, overwrite: true }));
const findNode = async (parent, kind, label) => (await user(() => provider.getChildren(parent))).find((n) => n.kind === kind && n.label === label);

let session;
let pid;

test.after(() => extension.deactivate());

test('settings: the settings editor and the model picker apply at once, without restarting the daemon', async () => {
  const roots = await user(() => provider.getChildren());
  assert.equal(roots.length, 1);
  session = await api.getSession();
  pid = session.child.pid;
  let shown;
  log.answers.push(
    (items) => { shown = items; return items.find((i) => i.label === 'storytellerDelayMs'); }, '0',
    pick('maxOutputTokens'), '900', // refused by the input box: nothing is sent
    pick('contextTokens'), '1024',
    pick('contextTokens'), '', // empty: back to the model's whole window
    pick('allowThinking'), pick('true'),
    undefined,
  );
  await run('imaginai.editSettings');
  assert.deepEqual(log.errors, []);
  assert.deepEqual(shown.map((i) => i.label).slice(0, 3), ['model', 'responseHandling', 'allowThinking']);
  assert.equal(shown.find((i) => i.label === 'contextTokens').description, '(the model\'s whole window)');
  assert.deepEqual(log.validations.map((v) => v.verdict).filter(Boolean), ['maxOutputTokens must be a whole number from 50 to 800; got "900"']);
  const settings = await session.getSettings();
  assert.deepEqual([settings.storytellerDelayMs, settings.maxOutputTokens, settings.contextTokens, settings.allowThinking], [0, 200, null, true]);

  // the base system instruction opens as a document and saves byte for byte
  log.answers.push(pick('baseSystemInstruction'));
  await run('imaginai.editSettings');
  assert.equal(lastDocument().getText(), settings.baseSystemInstruction);
  const instruction = `${settings.baseSystemInstruction}\n\n  Keep it short. `;
  await save(lastDocument(), instruction);
  assert.equal((await session.getSettings()).baseSystemInstruction, instruction);

  // imaginai.model changed in the configuration: switched live, the same daemon goes on
  await user(() => log.setConfiguration({ 'imaginai.model': 'ollama/llama3' }));
  assert.equal((await session.getSettings()).model, 'ollama/llama3');
  // the picker marks the current model; picking another switches at once and keeps the configuration in agreement
  let models;
  log.answers.push((items, options) => { models = { items, options }; return items[0]; });
  await run('imaginai.selectModel');
  assert.equal(models.items[0].label, 'offline/storyteller');
  assert.match(models.options.placeHolder, /now ollama\/llama3/);
  assert.equal((await session.getSettings()).model, 'offline/storyteller');
  assert.deepEqual(log.configUpdates.map((u) => [u.key, u.value]), [['imaginai.model', 'offline/storyteller']]);
  assert.equal((await api.getSession()).child.pid, pid, 'no daemon restart');
  assert.deepEqual(log.errors, []);
});

test('scenarios: create, edit fields and texts, rename, duplicate, delete with a modal naming it', async () => {
  log.answers.push('   '); // refused by the input box: nothing is created
  await run('imaginai.createScenario');
  assert.equal(log.validations.find((v) => v.typed === '   ').verdict, 'A name cannot be empty.');
  log.answers.push('Salt and Static');
  await run('imaginai.createScenario');
  let node = await findNode(undefined, 'scenario', 'Salt and Static');
  assert.ok(node);
  log.answers.push(pick('tags'), 'radio, sci-fi', pick('visibility'), pick('unlisted'), pick('openingScene'));
  await run('imaginai.editScenario', node);
  const opening = 'The station hums.\r\n\tNobody answers.  \n';
  await save(lastDocument(), opening);
  let scenario = await session.getScenario(node.id);
  assert.deepEqual([scenario.tags, scenario.visibility, scenario.openingScene], [['radio', 'sci-fi'], 'unlisted', opening]);
  const stamp = scenario.updatedAt;
  await save(lastDocument(), opening);
  assert.equal((await session.getScenario(node.id)).updatedAt, stamp, 'an unchanged save stores nothing');

  let prompt;
  log.answers.push((options) => { prompt = options.prompt; return 'Salt & Static'; });
  await run('imaginai.renameScenario', node);
  assert.equal(prompt, 'New name of scenario "Salt and Static"');
  node = await findNode(undefined, 'scenario', 'Salt & Static');
  assert.ok(node);

  log.answers.push((options) => { assert.equal(options.value, 'Salt & Static (copy)'); return options.value; });
  await run('imaginai.duplicateScenario', node);
  const copy = await findNode(undefined, 'scenario', 'Salt & Static (copy)');
  assert.ok(copy);
  log.answers.push(undefined); // dismissed: nothing is deleted
  await run('imaginai.deleteScenario', copy);
  assert.ok(await findNode(undefined, 'scenario', 'Salt & Static (copy)'));
  log.answers.push('Delete');
  await run('imaginai.deleteScenario', copy);
  const modal = log.modals[log.modals.length - 1];
  assert.equal(modal.message, 'Delete scenario "Salt & Static (copy)"?');
  assert.equal(modal.options.modal, true);
  assert.match(modal.options.detail, /0 cards are deleted with it/);
  assert.equal(await findNode(undefined, 'scenario', 'Salt & Static (copy)'), undefined);
  assert.deepEqual(log.errors, []);
});

test('cards: create (its description opens), rename, duplicate, delete from the tree', async () => {
  const scenario = await findNode(undefined, 'scenario', 'Salt & Static');
  const [group] = await user(() => provider.getChildren(scenario));
  assert.equal(group.kind, 'cards');
  log.answers.push('Operator Ines', pick('character'));
  await run('imaginai.createCard', group);
  const description = 'Ines — “the voice”.\n\nShe counts in  Polish.';
  await save(lastDocument(), description);
  let [card] = (await session.getScenario(scenario.id)).cards;
  assert.deepEqual([card.name, card.type, card.description], ['Operator Ines', 'character', description]);
  let cardNode = (await user(() => provider.getChildren(group)))[0];
  log.answers.push('Ines Kowalska');
  await run('imaginai.renameCard', cardNode);
  await run('imaginai.duplicateCard', cardNode);
  const cardsNow = (await session.getScenario(scenario.id)).cards;
  assert.deepEqual(cardsNow.map((c) => c.name), ['Ines Kowalska', 'Ines Kowalska (copy)']);
  assert.equal(log.infos[log.infos.length - 1], 'Duplicated the card "Ines Kowalska" as "Ines Kowalska (copy)", last among the cards.');
  assert.equal(cardsNow[1].description, description);
  cardNode = (await user(() => provider.getChildren(group)))[1];
  log.answers.push('Delete');
  await run('imaginai.deleteCard', cardNode);
  assert.equal(log.modals[log.modals.length - 1].message, 'Delete the card "Ines Kowalska (copy)" of scenario "Salt & Static"?');
  const left = (await session.getScenario(scenario.id)).cards;
  assert.deepEqual(left.map((c) => c.id), [cardsNow[0].id], 'the picked copy was deleted, not the original');
  assert.deepEqual(log.errors, []);
});

let panel;
let adventureId;

test('story: act, continue, retry, versions like swipes, cancel, undo/redo, context, usage', async () => {
  const scenario = await findNode(undefined, 'scenario', 'Salt & Static');
  log.answers.push('Night shift');
  panel = await run('imaginai.startAdventure', scenario);
  adventureId = panel.adventure.id;
  const page = log.panels[log.panels.length - 1];
  await user(() => page.send({ type: 'act', action: 'do', text: 'tune the radio' }));
  await run('imaginai.continue');
  const before = panel.controller.lastTurn();
  await run('imaginai.retry');
  const retried = panel.controller.lastTurn();
  assert.equal(retried.id, before.id, 'a retry is a new version of the same turn');
  const lastState = () => page.posted.filter((m) => m.type === 'state').pop();
  assert.equal(lastState().note, 'version 2/2');

  await run('imaginai.previousVersion');
  assert.equal(lastState().note, 'version 1/2');
  assert.equal(panel.controller.lastTurn().text, before.text);
  await run('imaginai.previousVersion');
  assert.equal(lastState().error, 'Already at the first version (1/2).');
  await user(() => page.send({ type: 'command', name: 'nextVersion' }));
  assert.equal(lastState().note, 'version 2/2');
  assert.equal(panel.controller.lastTurn().text, retried.text);
  let versions;
  log.answers.push((items) => { versions = items; return items[0]; });
  await run('imaginai.pickVersion');
  assert.deepEqual(versions.map((v) => v.label), ['1/2', '2/2 (shown)']);
  assert.equal((await session.listTurns(adventureId)).turns.pop().text, before.text);

  // cancel a running generation (the key binding's command) once its first words arrived
  await session.updateSettings({ storytellerDelayMs: 40 });
  const firstChunk = new Promise((resolve) => panel.controller.once('chunk', resolve));
  const generating = user(() => vscode().commands.executeCommand('imaginai.continue'));
  await firstChunk;
  assert.equal(log.contexts['imaginai.generating'], true);
  await run('imaginai.cancel');
  const cancelled = await generating;
  assert.equal(cancelled.cancelled, true);
  assert.equal(log.contexts['imaginai.generating'], false);
  await session.updateSettings({ storytellerDelayMs: 0 });

  const count = (await session.listTurns(adventureId)).turnCount;
  await run('imaginai.undo');
  assert.ok((await session.listTurns(adventureId)).turnCount < count);
  await run('imaginai.redo');
  assert.equal((await session.listTurns(adventureId)).turnCount, count);
  await run('imaginai.showContext');
  assert.match(lastDocument().content, /^Model: offline\/storyteller/);
  await run('imaginai.showUsage');
  assert.match(lastDocument().content, /^Usage of "Night shift"/);
  assert.deepEqual(log.errors, []);
});

test('turns and adventures: edit and delete a turn, summary, fields, rename, fork, restart, delete', async () => {
  // a turn's text opens as a document; saving stores it exactly and the story view shows it
  let turnItems;
  log.answers.push((items) => { turnItems = items; return items.find((i) => i.turn.index === 1); });
  await run('imaginai.editTurn');
  assert.equal(turnItems[0].turn.index, panel.controller.turns.length - 1, 'newest first');
  assert.equal(lastDocument().getText(), 'tune the radio');
  await save(lastDocument(), 'tune the radio to 7.1 MHz ');
  assert.equal(panel.controller.turns[1].text, 'tune the radio to 7.1 MHz ');
  assert.equal((await session.listTurns(adventureId)).turns[1].text, 'tune the radio to 7.1 MHz ');

  const turnCount = (await session.listTurns(adventureId)).turnCount;
  log.answers.push((items) => items[0], 'Delete');
  await run('imaginai.deleteTurn');
  assert.match(log.modals[log.modals.length - 1].message, new RegExp(`^Delete turn ${turnCount - 1} of "Night shift"\\?$`));
  assert.equal((await session.listTurns(adventureId)).turnCount, turnCount - 1);
  assert.equal(panel.controller.turns.length, turnCount - 1);

  await run('imaginai.editSummary');
  await save(lastDocument(), 'The radio answered.');
  let summaryItems;
  log.answers.push((items) => { summaryItems = items; return undefined; }); // dismissed: nothing taken back
  await run('imaginai.summaryVersions');
  assert.equal(summaryItems[summaryItems.length - 1].description, 'The radio answered.');
  assert.equal((await session.getAdventure(adventureId)).summary, 'The radio answered.');
  log.answers.push(pick('authorsNotes'));
  await run('imaginai.editAdventure');
  await save(lastDocument(), 'Never explain the numbers.');
  assert.equal((await session.getAdventure(adventureId)).authorsNotes, 'Never explain the numbers.');
  log.answers.push('Night shift, again');
  await run('imaginai.renameAdventure');
  assert.equal(panel.panel.title, 'Night shift, again', 'the story view has the new name');

  // fork from turn 1: the copy opens in its own story view
  let forkItems;
  log.answers.push('Night shift, fork', (items) => { forkItems = items; return items.find((i) => i.label === 'Up to turn 1'); });
  const fork = await run('imaginai.duplicateAdventure');
  assert.match(forkItems[0].label, /^The whole story \(\d+ turns\)$/);
  assert.equal(fork.adventure.name, 'Night shift, fork');
  assert.equal((await session.listTurns(fork.adventure.id)).turnCount, 2);

  // restart the fork, keeping a copy of its story first
  log.answers.push('Keep a Copy and Restart');
  await run('imaginai.restartAdventure', fork.adventure.id);
  const restartModal = log.modals[log.modals.length - 1];
  assert.equal(restartModal.message, 'Restart "Night shift, fork" from its opening scene?');
  const restarted = await session.listTurns(fork.adventure.id);
  assert.equal(restarted.turnCount, 1);
  assert.equal(restarted.turns[0].text, (await session.getScenario(fork.adventure.scenarioId)).openingScene);
  assert.equal(fork.controller.turns.length, 1, 'the open view shows the restarted story');
  const kept = (await session.allAdventures()).find((a) => a.name === 'Night shift, fork (before restart)');
  assert.equal(kept.turnCount, 2);

  log.answers.push('Delete');
  await run('imaginai.deleteAdventure', fork.adventure.id);
  assert.match(log.modals[log.modals.length - 1].options.detail, /1 turn and 1 card are deleted/);
  await assert.rejects(session.getAdventure(fork.adventure.id), /adventure/);
  assert.equal(log.panels.filter((p) => p.title === 'Night shift, fork').length, 1);
  assert.deepEqual(log.errors, []);
});

test('files: import a scenario and cards, export a scenario and an adventure\'s cards', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imaginai-vscode-files-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const scenarioFile = path.join(dir, 'scenario.json');
  const cardsFile = path.join(dir, 'cards.json');
  // with a story open, Export acts on the played adventure's scenario and names it
  let formatPrompt;
  log.answers.push((items, options) => { formatPrompt = options.placeHolder; return 'imaginai'; }, { fsPath: scenarioFile });
  await run('imaginai.export');
  assert.equal(formatPrompt, 'File format for scenario "Salt & Static"');
  assert.equal(JSON.parse(fs.readFileSync(scenarioFile, 'utf8')).format, 'imaginai.scenario');
  log.answers.push([{ fsPath: scenarioFile }]);
  await run('imaginai.importScenario');
  const adventureNode = { kind: 'adventure', id: adventureId, label: 'Night shift, again' };
  log.answers.push('imaginai', { fsPath: cardsFile });
  await run('imaginai.export', adventureNode);
  log.answers.push([{ fsPath: cardsFile }], 'append');
  await run('imaginai.importCards', adventureNode);
  assert.equal((await session.getAdventure(adventureId)).cards.length, 2);
  assert.match(log.infos[log.infos.length - 1], /^Imported 1 cards \(imaginai\) into adventure "Night shift, again"/);

  // replacing a scenario's cards from its Cards group asks first, naming them
  const scenarioNode = await findNode(undefined, 'scenario', 'Salt & Static');
  const [groupNode] = await user(() => provider.getChildren(scenarioNode));
  const cardsBefore = (await session.getScenario(scenarioNode.id)).cards;
  log.answers.push([{ fsPath: cardsFile }], 'replace', undefined);
  await run('imaginai.importCards', groupNode);
  assert.equal(log.modals[log.modals.length - 1].message, 'Replace the 1 card of scenario "Salt & Static"?');
  assert.deepEqual((await session.getScenario(scenarioNode.id)).cards, cardsBefore, 'dismissed: nothing replaced');
  log.answers.push([{ fsPath: cardsFile }], 'replace', 'Replace');
  await run('imaginai.importCards', groupNode);
  const replaced = (await session.getScenario(scenarioNode.id)).cards;
  assert.equal(replaced.length, 1);
  assert.notEqual(replaced[0].id, cardsBefore[0].id);
  assert.deepEqual(log.errors, []);
});

test('coverage: the commands reached every request and notification of Protocol/openrpc.json', async () => {
  // and the extension listens to every notification the server sends (x-notifications)
  const listened = [...(await api.getSession()).client.handlers.keys()];
  const serverSends = openrpc['x-notifications'].map((n) => n.name);
  assert.ok(serverSends.includes('library/changed'), 'openrpc.json lists library/changed');
  assert.deepEqual(serverSends.filter((n) => !listened.includes(n)), [], 'server notifications without a handler');
  await user(() => extension.deactivate()); // shutdown and exit
  const methods = openrpc.methods.map((m) => m.name);
  assert.ok(methods.length >= 42, `openrpc.json lists ${methods.length} methods`);
  const missing = methods.filter((m) => !sent.has(m) && !(m in NEVER_SENT));
  assert.deepEqual(missing, [], `no command reaches ${missing.join(', ')}`);
  for (const m of Object.keys(NEVER_SENT)) assert.ok(!sent.has(m), `${m} is sent after all; take it out of NEVER_SENT`);
});
