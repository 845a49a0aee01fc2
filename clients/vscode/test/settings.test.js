'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const settings = require('../src/settings');
const { startSession } = require('../test-support/helpers');

test('every setting the daemon has is listed, known ones in order, a newer daemon\'s by the type of its value', async (t) => {
  const s = await startSession();
  t.after(() => s.close());
  const stored = await s.getSettings();
  const fields = settings.settingFields(stored);
  assert.deepEqual(fields.map((f) => f.name).sort(), Object.keys(stored).sort(), 'no setting of this daemon is left out');
  assert.ok(fields.every((f) => f.help), 'the extension knows every setting of this daemon');
  const newer = settings.settingFields({ ...stored, futureFlag: true, futureCount: 3 });
  assert.deepEqual(newer.slice(-2).map((f) => [f.name, f.kind]), [['futureCount', 'int'], ['futureFlag', 'bool']]);

  // every range the extension checks is the daemon's: the bounds pass, one past them is refused by both
  for (const f of fields.filter((x) => x.range)) {
    for (const [value, ok] of [[f.range[0], true], [f.range[1], true], [f.range[0] - 1, false], [f.range[1] + 1, false]]) {
      assert.equal(settings.validateSettingInput(f, String(value)) === undefined, ok, `${f.name} ${value}`);
      const daemon = await s.updateSettings({ [f.name]: value }).then(() => true, () => false);
      assert.equal(daemon, ok, `the daemon on ${f.name} = ${value}`);
    }
  }
});

test('typed setting values: precise errors, null for an emptied window cap, provider/model', () => {
  const field = (name) => settings.SETTINGS_FIELDS.find((f) => f.name === name);
  assert.deepEqual(settings.parseSettingInput(field('contextTokens'), ''), { value: null });
  assert.deepEqual(settings.parseSettingInput(field('contextTokens'), ' 4096 '), { value: 4096 });
  assert.equal(settings.parseSettingInput(field('contextTokens'), '100').error, 'contextTokens must be a whole number from 256 to 2000000, or empty; got "100"');
  assert.equal(settings.parseSettingInput(field('scanDepth'), '').error, 'scanDepth must be a whole number from 0 to 100; got ""');
  assert.equal(settings.parseSettingInput(field('storytellerSeed'), '-12').value, -12);
  assert.equal(settings.parseSettingInput(field('model'), 'gpt-4o').error, 'model must be provider/model (e.g. offline/storyteller); got "gpt-4o"');
  assert.equal(settings.parseSettingInput(field('responseHandling'), 'cut').error, 'responseHandling must be one of truncate, summarize; got "cut"');
  const text = '  Narrate.\n\n';
  assert.deepEqual(settings.parseSettingInput(field('baseSystemInstruction'), text), { value: text }, 'kept byte for byte');
  assert.equal(settings.describeSetting('contextTokens', null), '(the model\'s whole window)');
});

test('a model in the picker: the current one marked, an unavailable one with its reason', () => {
  const item = settings.modelItem({ id: 'openai/gpt-4o', name: 'GPT-4o', contextTokens: 128000, available: false, reason: 'no OPENAI_API_KEY', local: false }, 'offline/storyteller');
  assert.deepEqual([item.label, item.description, item.detail], ['openai/gpt-4o', 'not available', 'GPT-4o — no OPENAI_API_KEY']);
  const current = settings.modelItem({ id: 'llamacpp/smollm2', name: 'smollm2', contextTokens: 8192, available: true, local: true }, 'llamacpp/smollm2');
  assert.deepEqual([current.description, current.detail], ['(current)', 'smollm2 · 8192 tokens of context · on this machine']);
});
