'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { loadExtension } = require('../test-support/fake-vscode');
const { BIN } = require('../test-support/helpers');

const root = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const declared = manifest.contributes.commands.map((c) => c.command);

function activateFake(settings = {}) {
  const loaded = loadExtension(settings);
  const context = { subscriptions: [] };
  const api = loaded.extension.activate(context);
  return { ...loaded, context, api };
}

test('manifest: a loadable main, the fields VS Code needs', () => {
  for (const field of ['name', 'displayName', 'publisher', 'version', 'main']) assert.ok(manifest[field], field);
  assert.ok(manifest.engines.vscode);
  assert.ok(fs.existsSync(path.join(root, manifest.main)));
  assert.deepEqual(Object.keys(manifest.contributes.configuration.properties).sort(), ['imaginai.database', 'imaginai.model', 'imaginai.path']);
  const container = manifest.contributes.viewsContainers.activitybar[0];
  assert.ok(fs.existsSync(path.join(root, container.icon)));
  assert.ok(manifest.contributes.views[container.id].length > 0);
  assert.deepEqual(manifest.dependencies, undefined, 'no npm dependencies');
});

test('activate() registers exactly the commands package.json declares, and the declared view', () => {
  const { log, context, extension } = activateFake();
  const registered = [...log.commands.keys()].sort();
  assert.deepEqual(registered, [...declared].sort(), 'commands in package.json and extension.js differ');
  for (const name of declared) assert.ok(manifest.activationEvents.includes(`onCommand:${name}`), `activation event for ${name}`);
  const viewIds = Object.values(manifest.contributes.views).flat().map((v) => v.id);
  assert.deepEqual(log.treeViews.map((v) => v.id), viewIds);
  for (const id of viewIds) assert.ok(manifest.activationEvents.includes(`onView:${id}`));
  for (const items of Object.values(manifest.contributes.menus)) {
    for (const item of items) assert.ok(declared.includes(item.command), `menu names undeclared ${item.command}`);
  }
  for (const command of Object.values(extension.WEBVIEW_COMMANDS)) assert.ok(declared.includes(command), command);
  const { BUTTONS } = require('../src/webview');
  assert.deepEqual(BUTTONS.map(([name]) => name).sort(), Object.keys(extension.WEBVIEW_COMMANDS).sort(), 'page buttons and the commands they run');
  assert.ok(context.subscriptions.length >= declared.length + 1);
  for (const required of ['startAdventure', 'resumeAdventure', 'do', 'say', 'story', 'continue', 'retry', 'undo', 'redo', 'cancel', 'showContext', 'showUsage', 'importScenario', 'importCards', 'export']) {
    assert.ok(declared.includes(`imaginai.${required}`), required);
  }
});

test('driven through the fake: tree, start adventure, act in the webview, context, undo, import/export', async (t) => {
  const { log, api, extension } = activateFake({ 'imaginai.path': BIN, 'imaginai.database': ':memory:', 'imaginai.model': 'offline/storyteller' });
  t.after(() => extension.deactivate());
  const provider = log.treeViews[0].options.treeDataProvider;
  const roots = await provider.getChildren();
  assert.equal(roots.length, 1);
  const session = await api.getSession();
  assert.ok(log.configReads.includes('imaginai.path') && log.configReads.includes('imaginai.database'));
  await session.updateSettings({ storytellerDelayMs: 1 });
  const item = provider.getTreeItem(roots[0]);
  assert.equal(item.label, roots[0].label);
  assert.equal(item.contextValue, 'scenario');

  // start an adventure from the scenario node; its name comes from the input box
  log.answers.push('Fake run');
  await log.commands.get('imaginai.startAdventure')(roots[0]);
  assert.deepEqual(log.errors, []);
  assert.equal(log.panels.length, 1);
  const panel = log.panels[0];
  assert.equal(panel.title, 'Fake run');
  assert.match(panel.webview.html, /Content-Security-Policy/);
  assert.equal(log.contexts['imaginai.storyOpen'], true);
  const scenarioKids = await provider.getChildren(roots[0]);
  assert.equal(scenarioKids[0].kind, 'cards', 'the scenario lists its cards first');
  const adventures = scenarioKids.filter((n) => n.kind === 'adventure');
  assert.deepEqual(adventures.map((a) => a.label), ['Fake run']);
  assert.equal(provider.getTreeItem(adventures[0]).command.command, 'imaginai.resumeAdventure');

  // the page sends an action; streamed text is posted, then the settled story
  panel.posted.length = 0;
  await panel.send({ type: 'act', action: 'do', text: 'look around the lamp room' });
  const streams = panel.posted.filter((m) => m.type === 'stream');
  assert.ok(streams.length > 2, 'streamed text reaches the page');
  const last = panel.posted[panel.posted.length - 1];
  assert.equal(last.type, 'state');
  assert.equal(last.busy, false);
  assert.equal(last.error, '');
  assert.match(last.html, /&gt; look around the lamp room/);
  const turns = (await session.listTurns(adventures[0].id)).turns;
  assert.equal(turns.length, 3);
  assert.ok(last.html.includes(turns[2].text.slice(0, 20).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;')));

  // palette commands act on the open story
  log.answers.push('Hello?');
  await log.commands.get('imaginai.say')();
  assert.equal((await session.listTurns(adventures[0].id)).turnCount, 5);
  await panel.send({ type: 'command', name: 'context' });
  assert.match(log.documents[log.documents.length - 1].content, /Model: offline\/storyteller/);
  await log.commands.get('imaginai.showUsage')();
  assert.match(log.documents[log.documents.length - 1].content, /Generated turns: 2/);

  // the context text lists every section of the preview and counts the recalled turns
  await log.commands.get('imaginai.showContext')();
  const contextText = log.documents[log.documents.length - 1].content;
  const preview = await session.preview(adventures[0].id);
  for (const s of preview.sections) assert.ok(contextText.includes(`── ${s.name} (`), s.name);
  assert.ok(contextText.includes(`Recalled turns: ${preview.recalledTurns.length} (in the memories section)`), contextText);

  // the summary opens as a document; saving stores it exactly, a save without a change stores nothing
  const summaryFs = log.fileSystems['imaginai-card'];
  await log.commands.get('imaginai.editSummary')();
  const summaryDoc = log.documents[log.documents.length - 1];
  assert.equal(summaryDoc.uri.scheme, 'imaginai-card');
  assert.equal(summaryDoc.getText(), (await session.getAdventure(adventures[0].id)).summary);
  const first = '  Lamp room:\n\n\tthe keeper waits. ';
  await summaryFs.writeFile(summaryDoc.uri, Buffer.from(first, 'utf8'), { create: false, overwrite: true });
  assert.equal((await session.getAdventure(adventures[0].id)).summary, first);
  const countAfterFirst = (await session.summaryVersions(adventures[0].id)).versions.length;
  await summaryFs.writeFile(summaryDoc.uri, Buffer.from(first, 'utf8'), { create: false, overwrite: true });
  assert.equal((await session.summaryVersions(adventures[0].id)).versions.length, countAfterFirst, 'an unchanged save adds no version');
  await summaryFs.writeFile(summaryDoc.uri, Buffer.from('Second.', 'utf8'), { create: false, overwrite: true });
  assert.equal(Buffer.from(await summaryFs.readFile(summaryDoc.uri)).toString('utf8'), 'Second.');

  // summary versions: a quick pick of source, time and first line; choosing one takes it back
  let shownVersions;
  log.answers.push((items) => { shownVersions = items; return items.find((i) => i.version.text === first); });
  await log.commands.get('imaginai.summaryVersions')();
  assert.equal(shownVersions.length, countAfterFirst + 1);
  assert.match(shownVersions[shownVersions.length - 1].label, /^user · .+ \(current\)$/);
  assert.equal(shownVersions[shownVersions.length - 1].description, 'Second.');
  assert.equal(shownVersions.find((i) => i.version.text === first).description, '  Lamp room:');
  assert.equal((await session.getAdventure(adventures[0].id)).summary, first);
  const versionsNow = (await session.summaryVersions(adventures[0].id)).versions;
  assert.equal(versionsNow.length, countAfterFirst + 2, 'taking back adds a version, losing none');
  assert.ok(versionsNow[versionsNow.length - 1].current);
  assert.match(log.infos[log.infos.length - 1], /taken back/);
  await panel.send({ type: 'command', name: 'undo' });
  assert.equal((await session.listTurns(adventures[0].id)).turnCount, 3);
  await log.commands.get('imaginai.redo')();
  assert.equal((await session.listTurns(adventures[0].id)).turnCount, 5);

  // errors show in the panel, not as exceptions: nothing left to redo
  await log.commands.get('imaginai.redo')();
  assert.match(panel.posted[panel.posted.length - 1].error, /redo/i);

  // export the scenario and import it back
  const file = path.join(require('os').tmpdir(), `imaginai-vscode-test-${process.pid}.json`);
  t.after(() => fs.rmSync(file, { force: true }));
  log.answers.push('imaginai', { fsPath: file });
  await log.commands.get('imaginai.export')(roots[0]);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).format, 'imaginai.scenario');
  log.answers.push([{ fsPath: file }]);
  await log.commands.get('imaginai.importScenario')();
  assert.equal((await provider.getChildren()).length, 2);
  assert.deepEqual(log.errors, []);

  // an import says what it could not keep as written: AI Dungeon's key attributes have no meaning here
  const kobold = path.join(require('os').tmpdir(), `imaginai-vscode-kobold-${process.pid}.json`);
  t.after(() => fs.rmSync(kobold, { force: true }));
  fs.writeFileSync(kobold, JSON.stringify({ worldinfo: [{ key: 'Mira#[t=5]', keysecondary: '', content: 'Mira rows the ferry.', comment: 'Mira' }] }));
  log.answers.push([{ fsPath: kobold }]);
  await log.commands.get('imaginai.importScenario')();
  assert.match(log.infos[log.infos.length - 1], /with 1 cards; 1 warning: #0 .*t=5/);

  // a scenario id that does not exist is a readable error message
  await log.commands.get('imaginai.resumeAdventure')('adv_nope');
  assert.match(log.errors[0], /No adventure with id adv_nope/);

  // closing the panel clears the context key; deactivate shuts the daemon down cleanly
  panel.dispose();
  assert.equal(log.contexts['imaginai.storyOpen'], false);
  await extension.deactivate();
  assert.equal(session.exitCode, 0);
});

test('Edit Card Rules: a card node\'s field picker edits each field with a pick or a checked input box', async (t) => {
  const { log, api, extension } = activateFake({ 'imaginai.path': BIN, 'imaginai.database': ':memory:' });
  t.after(() => extension.deactivate());
  const provider = log.treeViews[0].options.treeDataProvider;
  const [scenario] = await provider.getChildren();
  const [cardsGroup] = await provider.getChildren(scenario);
  const [node] = await provider.getChildren(cardsGroup);
  const item = provider.getTreeItem(node);
  assert.equal(item.contextValue, 'card');
  assert.deepEqual([item.command.command, item.command.arguments[0]], ['imaginai.editCardRules', node]);
  assert.equal(item.description, node.card.type);
  assert.match(item.tooltip, /probability: 100/);
  const session = await api.getSession();
  const stored = async () => (await session.getScenario(scenario.id)).cards.find((c) => c.id === node.id);
  const before = await stored();

  const pickField = (name) => (items) => items.find((i) => i.label === name);
  const pickValue = (value) => (items) => items.find((i) => i.value === value);
  log.answers.push(
    (items) => {
      // the picker lists every field with its current value
      assert.deepEqual(items.map((i) => i.label), require('../src/cards').CARD_FIELDS.map((f) => f.name));
      assert.equal(items.find((i) => i.label === 'group').description, '(no group)');
      return items.find((i) => i.label === 'probability');
    },
    '150', // refused by the input box's check: nothing is sent
    pickField('probability'), '35',
    pickField('constant'), pickValue('true'),
    pickField('selectiveLogic'), (items) => {
      assert.equal(items.find((i) => i.value === 'andAny').description, '(current)');
      return items.find((i) => i.value === 'notAny');
    },
    pickField('secondaryKeys'), 'fog, /wi,ck/i',
    pickField('group'), 'lights',
    (items) => {
      assert.equal(items.find((i) => i.label === 'group').description, 'lights', 'the picker shows the stored value');
      return items.find((i) => i.label === 'scanDepth');
    }, '7',
    pickField('scanDepth'), '',
    undefined, // Escape: done
  );
  const result = await log.commands.get('imaginai.editCardRules')(node);
  assert.deepEqual(log.errors, []);
  assert.deepEqual(log.answers, [], 'every prompt was answered');
  assert.deepEqual(log.validations[0], { typed: '150', verdict: 'probability must be a whole number from 0 to 100; got "150"' });
  const after = await stored();
  assert.deepEqual(result, after);
  assert.deepEqual(after, {
    ...before, probability: 35, constant: true, selectiveLogic: 'notAny', secondaryKeys: ['fog', '/wi,ck/i'], group: 'lights', scanDepth: null,
  });

  // the refreshed tree marks the card as constant
  const [refreshed] = await provider.getChildren(cardsGroup);
  assert.equal(refreshed.description, `${before.type} · constant · group lights · 35%`);
  assert.equal(provider.getTreeItem(refreshed).iconPath.id, 'pinned');

  // a daemon refusal is shown and the picker comes back
  log.answers.push(pickField('name'), 'x'.repeat(1001), undefined);
  await log.commands.get('imaginai.editCardRules')(refreshed);
  assert.equal(log.errors.length, 1);
  assert.match(log.errors[0], /changes\.name/);
  assert.equal((await stored()).name, before.name);

  // notes open as a document of the card file system; saving it stores the text exactly
  log.answers.push(pickField('notes'));
  await log.commands.get('imaginai.editCardRules')(refreshed);
  const doc = log.documents[log.documents.length - 1];
  assert.equal(doc.uri.scheme, 'imaginai-card');
  assert.equal(doc.getText(), '');
  const fsProvider = log.fileSystems['imaginai-card'];
  const notes = '  mine only\n\n  with blank lines \n';
  await fsProvider.writeFile(doc.uri, Buffer.from(notes, 'utf8'), { create: false, overwrite: true });
  assert.equal((await stored()).notes, notes);
  assert.equal(Buffer.from(await fsProvider.readFile(doc.uri)).toString('utf8'), notes);
  assert.equal((await fsProvider.stat(doc.uri)).size, Buffer.byteLength(notes));

  // from the palette with an open story: the adventure's cards are offered
  log.answers.push('Card run');
  await log.commands.get('imaginai.startAdventure')(scenario);
  const adventure = (await session.allAdventures())[0];
  log.answers.push((items) => items[1], pickField('enabled'), pickValue('false'), undefined);
  await log.commands.get('imaginai.editCardRules')();
  const advCard = (await session.getAdventure(adventure.id)).cards[1];
  assert.equal(advCard.enabled, false);
  assert.equal((await stored()).enabled, true, 'the scenario\'s card is a different card');
  assert.equal(log.errors.length, 1);
});
