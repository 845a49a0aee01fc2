'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { StoryController, renderStoryText, renderStoryHtml, previewToText, previewToHtml, usageToText } = require('../src/story');
const { ErrorCodes } = require('../src/client');
const { startSession, sampleAdventure } = require('../test-support/helpers');

test('streaming: chunks arrive in seq order before the response and join to aiTurn.text', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  const chunks = [];
  let answered = false;
  const handle = s.act(adventure.id, 'do', 'climb the stairs to the lamp room', (c) => {
    assert.equal(answered, false, 'chunk after the response');
    chunks.push(c);
  });
  const result = await handle.result.then((r) => { answered = true; return r; });
  assert.ok(chunks.length > 3);
  chunks.forEach((c, i) => {
    assert.equal(c.seq, i);
    assert.equal(c.requestId, handle.id);
    assert.equal(c.adventureId, adventure.id);
  });
  const joined = chunks.map((c) => c.text).join('');
  if (result.trimmed) assert.ok(joined.trim().startsWith(result.aiTurn.text));
  else assert.equal(joined.trim(), result.aiTurn.text);
  assert.equal(result.playerTurn.text, 'climb the stairs to the lamp room');
  assert.equal(result.playerTurn.action, 'do');
  assert.equal(result.aiTurn.role, 'ai');
});

test('the story controller shows streamed text as it arrives, then the authoritative turn', async (t) => {
  const s = await startSession({ delayMs: 5 });
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  const story = new StoryController(s, adventure.id);
  await story.load();
  assert.equal(story.turns.length, 1);
  const opening = story.text();
  assert.ok(opening.length > 0);

  const seen = [];
  story.on('chunk', () => seen.push(story.text()));
  const done = story.act('say', 'Who kept this light before me?');
  assert.ok(story.busy);
  assert.match(story.text(), /> "Who kept this light before me\?"$/);
  const result = await done;
  assert.equal(result.cancelled, false);
  assert.ok(seen.length > 3);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i].length > seen[i - 1].length, 'the text grows with every chunk');
    assert.ok(seen[i].startsWith(seen[i - 1]));
  }
  assert.ok(seen[seen.length - 1].startsWith(opening));
  assert.equal(story.busy, false);
  assert.equal(story.turns.length, 3);
  assert.equal(story.turns[2].text, result.aiTurn.text);
  assert.equal(story.text(), renderStoryText((await s.listTurns(adventure.id)).turns));
  assert.equal(story.turnCount, 3);

  // retry replaces the latest ai turn in place, streaming the new version
  const before = story.turns[2];
  const retried = await story.retry();
  assert.equal(retried.aiTurn.id, before.id);
  assert.equal(story.turns.length, 3);
  assert.equal(story.turns[2].text, retried.aiTurn.text);
  assert.equal((await s.turnVersions(before.id)).versions.length, 2);

  // continue appends an ai turn
  await story.continueStory();
  assert.equal(story.turns.length, 4);
  assert.equal(story.text(), renderStoryText((await s.listTurns(adventure.id)).turns));
});

test('cancel mid-stream: -32800 carries the player turn and the partial ai turn, both kept', async (t) => {
  const s = await startSession({ delayMs: 40 });
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);

  // raw session: the RpcError's data
  const chunks = [];
  const handle = s.act(adventure.id, 'do', 'light the lamp', (c) => {
    chunks.push(c);
    if (chunks.length === 2) handle.cancel();
  });
  await assert.rejects(handle.result, (err) => {
    assert.equal(err.code, ErrorCodes.RequestCancelled);
    assert.equal(err.code, -32800);
    assert.equal(err.data.playerTurn.text, 'light the lamp');
    assert.ok(err.data.aiTurn, 'partial text is stored');
    assert.equal(err.data.aiTurn.text, chunks.map((c) => c.text).join(''));
    return true;
  });
  const stored = (await s.listTurns(adventure.id)).turns;
  assert.equal(stored.length, 3);

  // controller: cancel() settles the action with {cancelled: true} and shows the kept turns
  const story = new StoryController(s, adventure.id);
  await story.load();
  story.once('chunk', () => story.cancel());
  const result = await story.act('do', 'ring the bell');
  assert.equal(result.cancelled, true);
  assert.equal(result.playerTurn.text, 'ring the bell');
  assert.equal(result.aiTurn.text, result.streamed);
  assert.equal(story.busy, false);
  assert.equal(story.turns.length, 5);
  assert.equal(story.text(), renderStoryText((await s.listTurns(adventure.id)).turns));
});

test('a second generation while one runs is a conflict', async (t) => {
  const s = await startSession({ delayMs: 20 });
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  // requests run concurrently, so the second goes out once the first is visibly generating
  let started;
  const streaming = new Promise((resolve) => { started = resolve; });
  const first = s.continueStory(adventure.id, started);
  await streaming;
  await assert.rejects(s.continueStory(adventure.id).result, { code: ErrorCodes.Conflict, data: { adventureId: adventure.id } });
  await assert.rejects(s.undo(adventure.id), { code: -31002 });
  first.cancel();
  await assert.rejects(first.result, { code: -32800 });

  const story = new StoryController(s, adventure.id);
  await story.load();
  const running = story.continueStory();
  await assert.rejects(story.retry(), { code: -31002 });
  story.cancel();
  await running;
});

test('undo and redo through the controller', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const adventure = await sampleAdventure(s);
  const story = new StoryController(s, adventure.id);
  await story.load();
  await story.act('do', 'open the trunk');
  await story.act('story', 'A letter falls out.');
  assert.equal(story.turns.length, 5);
  const afterTwo = story.text();

  const undone = await story.undo();
  assert.equal(undone.removed.length, 2);
  assert.equal(undone.turnCount, 3);
  assert.equal(story.turns.length, 3);
  assert.ok(!story.text().includes('A letter falls out.'));
  await story.undo();
  assert.equal(story.turns.length, 1);
  await assert.rejects(story.undo(), { code: ErrorCodes.Conflict });

  await story.redo();
  const redone = await story.redo();
  assert.equal(redone.turnCount, 5);
  assert.equal(story.text(), afterTwo);
  await assert.rejects(story.redo(), { code: -31002 });
});

test('context preview and usage render as readable text and escaped HTML', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const scenario = await s.createScenario({
    name: 'Preview <test>',
    instructions: 'Narrate & be brief.',
    openingScene: 'Fog rolls over the harbour.',
    cards: [{ name: 'Mirel', type: 'character', description: 'The last <keeper>.', keys: ['keeper'] }],
  });
  const adventure = await s.startAdventure(scenario.id);
  const story = new StoryController(s, adventure.id);
  const preview = await story.preview('say', 'who is the keeper?');
  const text = previewToText(preview);
  assert.match(text, /Model: offline\/storyteller/);
  assert.match(text, new RegExp(`Prompt: ${preview.totalTokens} of ${preview.budgetTokens} tokens`));
  assert.match(text, /✓ Mirel \(key "keeper"\)/);
  assert.match(text, /── cards \(\d+ tokens\) ──\n\[Mirel \(character\): The last <keeper>\.\]/);
  assert.match(text, /── instructions/);
  assert.match(text, /History: turns 0 included/);
  const withMemories = previewToText({ ...preview, recalledTurns: ['t1', 't2'],
    sections: [...preview.sections, { name: 'memories', tokens: 6, text: 'The bell rang twice.' }] });
  assert.match(withMemories, /Recalled turns: 2 \(in the memories section\)/);
  assert.match(withMemories, /── memories \(6 tokens\) ──\nThe bell rang twice\./);
  const html = previewToHtml(preview);
  assert.ok(html.includes('The last &lt;keeper&gt;.'));
  assert.ok(html.includes('Narrate &amp; be brief.'));
  assert.ok(!html.includes('<keeper>'));

  await story.load();
  await story.act('do', 'look for the keeper');
  const usage = usageToText(await story.usage());
  assert.match(usage, /Generated turns: 1/);
  assert.match(usage, /turn 2: \d+ in \/ \d+ out, offline\/storyteller/);

  const storyHtml = renderStoryHtml(story.items());
  assert.match(storyHtml, /<p class="turn player do"[^>]*>&gt; look for the keeper<\/p>/);
});
