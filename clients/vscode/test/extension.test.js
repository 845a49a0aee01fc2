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

// The rules VS Code applies to these contribution points (menusExtensionPoint, keybindingsExtension
// Point, the package.json schema): required properties, the key syntax, and when clauses that name
// context keys someone actually sets.
const CONTEXT_KEYS = new Set(['view', 'viewItem', 'activeWebviewPanelId', 'imaginai.storyOpen', 'imaginai.generating']);
const KEY_NAMES = new Set([
  ...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''), '`', '-', '=', '[', ']', '\\', ';', '\'', ',', '.', '/',
  'left', 'up', 'right', 'down', 'pageup', 'pagedown', 'end', 'home', 'tab', 'enter', 'escape', 'space', 'backspace', 'delete', 'insert',
  ...Array.from({ length: 19 }, (_, i) => `f${i + 1}`),
]);
const MODIFIERS = new Set(['ctrl', 'shift', 'alt', 'cmd', 'meta', 'win']);
// Default VS Code bindings that work everywhere in the workbench (a webview included), from the
// published keyboard shortcut reference; a story view binding must not take any of them away.
const GLOBAL_DEFAULTS = [
  'ctrl+shift+p', 'f1', 'ctrl+p', 'ctrl+shift+n', 'ctrl+shift+w', 'ctrl+,', 'ctrl+k ctrl+s', 'ctrl+n', 'ctrl+o', 'ctrl+s', 'ctrl+shift+s',
  'ctrl+w', 'ctrl+f4', 'ctrl+tab', 'ctrl+b', 'ctrl+j', 'ctrl+`', 'ctrl+shift+`', 'ctrl+shift+e', 'ctrl+shift+f', 'ctrl+shift+g',
  'ctrl+shift+d', 'ctrl+shift+x', 'ctrl+shift+m', 'ctrl+=', 'ctrl+-', 'f11', 'ctrl+\\', 'ctrl+c', 'ctrl+v', 'ctrl+x', 'ctrl+z',
  'ctrl+y', 'ctrl+a', 'ctrl+f', 'ctrl+r', 'ctrl+q', 'ctrl+alt+left', 'ctrl+alt+right', 'alt+left', 'alt+right', 'ctrl+pageup', 'ctrl+pagedown',
  'f5', 'shift+f5', 'f9', 'f10', 'f11', 'ctrl+k z',
];

function parseKey(chord) {
  return chord.split(' ').map((part) => {
    const pieces = part.split('+');
    const key = pieces.pop();
    assert.ok(KEY_NAMES.has(key), `"${chord}": "${key}" is not a key name`);
    for (const m of pieces) assert.ok(MODIFIERS.has(m), `"${chord}": "${m}" is not a modifier`);
    return [...pieces.sort(), key].join('+');
  }).join(' ');
}

function contextKeysOf(when) {
  return [...when.replace(/'[^']*'|\/[^/]*\//g, '').matchAll(/(!?)([A-Za-z][\w.]*)\s*(==|=~|!=)?/g)]
    .filter((m) => m[3] || !/^(true|false)$/.test(m[2]))
    .map((m) => m[2])
    .filter((name, i, all) => !(i > 0 && /^(scenario|adventure|card|cards|group|imaginai\.library)$/.test(name)));
}

test('contributions follow VS Code\'s rules: commands, menus, keybindings, when clauses', () => {
  const { log, extension } = activateFake();
  const registered = new Set(log.commands.keys());
  for (const c of manifest.contributes.commands) {
    assert.ok(c.command && c.title, `a command needs command and title: ${JSON.stringify(c)}`);
    for (const k of Object.keys(c)) assert.ok(['command', 'title', 'shortTitle', 'category', 'icon', 'enablement'].includes(k), `${c.command}: no property ${k} in a command`);
    assert.ok(typeof c.icon === 'string' && /^\$\([a-z-]+\)$/.test(c.icon), `${c.command}: icon ${c.icon}`);
  }
  assert.equal(new Set(declared).size, declared.length, 'no command declared twice');
  const contextValues = new Set(['scenario', 'adventure', 'cards', 'card', 'group']);
  for (const [place, items] of Object.entries(manifest.contributes.menus)) {
    for (const item of items) {
      assert.ok(registered.has(item.command), `${place}: ${item.command} is not registered`);
      for (const k of Object.keys(item)) assert.ok(['command', 'alt', 'when', 'group'].includes(k), `${place} ${item.command}: no property ${k} in a menu item`);
      if (item.when) for (const key of contextKeysOf(item.when)) assert.ok(CONTEXT_KEYS.has(key), `${place} ${item.command}: unknown context key ${key} in "${item.when}"`);
      if (place === 'commandPalette') {
        assert.deepEqual(Object.keys(item).sort(), ['command', 'when'], 'the palette takes command and when only');
        continue;
      }
      assert.match(item.when, /^view == imaginai\.library( && viewItem (==|=~) .+)?$/, `${place}: scoped to the library view`);
      assert.match(item.group, /^(inline|navigation(@\d+)?|\d+_[a-z]+(@\d+)?)$/, `${place} ${item.command}: group ${item.group}`);
      const viewItem = /viewItem (==|=~) (.+)$/.exec(item.when);
      if (viewItem) {
        const matches = [...contextValues].filter((v) => (viewItem[1] === '==' ? v === viewItem[2] : new RegExp(viewItem[2].slice(1, -1)).test(v)));
        assert.ok(matches.length > 0, `${item.command}: "${item.when}" matches no tree item`);
      }
    }
  }
  // every node kind the tree shows has a context menu, and every command that takes a node is on one
  const onItems = new Set(manifest.contributes.menus['view/item/context'].map((i) => i.command));
  for (const name of ['createScenario', 'editScenario', 'renameScenario', 'duplicateScenario', 'deleteScenario', 'editAdventure', 'renameAdventure',
    'duplicateAdventure', 'deleteAdventure', 'restartAdventure', 'createCard', 'renameCard', 'duplicateCard', 'deleteCard']) {
    assert.ok(onItems.has(`imaginai.${name}`) || manifest.contributes.menus['view/title'].some((i) => i.command === `imaginai.${name}`), name);
  }

  // key bindings: valid keys, registered commands, scoped to the story view, no default taken away
  const bindings = manifest.contributes.keybindings;
  const bound = new Map(bindings.map((b) => [b.command, b]));
  for (const name of ['do', 'continue', 'retry', 'cancel']) assert.ok(bound.has(`imaginai.${name}`), `a default key for ${name}`);
  const seen = new Set();
  const defaults = new Set(GLOBAL_DEFAULTS.map(parseKey));
  for (const b of bindings) {
    assert.ok(registered.has(b.command), `keybinding for unregistered ${b.command}`);
    for (const k of Object.keys(b)) assert.ok(['command', 'args', 'key', 'mac', 'linux', 'win', 'when'].includes(k), `${b.command}: no property ${k} in a key binding`);
    assert.match(b.when, new RegExp(`^activeWebviewPanelId == '${extension.STORY_VIEW_TYPE}'( && !?imaginai\\.generating)?$`), `${b.command}: scoped to the story view`);
    for (const k of [b.key, b.mac].filter(Boolean)) {
      const normal = parseKey(k);
      assert.ok(!defaults.has(normal.replace(/\bcmd\b/, 'ctrl')), `${b.command}: ${k} would take a VS Code default away`);
      const slot = `${normal}|${b.when}|${k === b.mac ? 'mac' : 'other'}`;
      assert.ok(!seen.has(slot), `${k} bound twice`);
      seen.add(slot);
    }
  }
  assert.match(bound.get('imaginai.cancel').when, /&& imaginai\.generating$/, 'Escape cancels only while a story is written');

  // activation: every command and the view activate the extension (VS Code ≥1.74 infers onCommand too)
  for (const event of manifest.activationEvents) assert.match(event, /^(onCommand:imaginai\.\w+|onView:imaginai\.library|onFileSystem:imaginai-card)$/);
  assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
  // the README lists every default key binding
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const b of bindings) assert.ok(readme.includes(`\`${b.key}\``), `README lists ${b.key}`);
});

test('a new database restarts the daemon; the story view stays and says the adventure is not there', async (t) => {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'imaginai-vscode-db-'));
  const { log, api, extension } = activateFake({ 'imaginai.path': BIN, 'imaginai.database': ':memory:' });
  t.after(async () => { await extension.deactivate(); fs.rmSync(dir, { recursive: true, force: true }); });
  const [scenario] = await log.treeViews[0].options.treeDataProvider.getChildren();
  log.answers.push('Before the move');
  const panel = await log.commands.get('imaginai.startAdventure')(scenario);
  const before = await api.getSession();
  await log.setConfiguration({ 'imaginai.database': path.join(dir, 'other.sqlite') });
  const after = await api.getSession();
  assert.notEqual(after.child.pid, before.child.pid, 'a new daemon for the new database');
  assert.equal(before.alive, false);
  assert.equal(await api.openStory(panel.adventure.id), panel, 'the view stays open');
  assert.equal(log.panels.length, 1);
  const state = log.panels[0].posted.filter((m) => m.type === 'state').pop();
  assert.match(state.error, /^"Before the move" is not in this database/);
  assert.equal(state.closed, true);
  assert.equal(panel.controller.session, after);
  assert.deepEqual(log.errors, []);
});
