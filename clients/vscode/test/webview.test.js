'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const vm = require('vm');
const { storyPageHtml, BUTTONS } = require('../src/webview');

test('the story page: CSP with one nonce, a script that compiles, a button per story command', () => {
  const html = storyPageHtml({ title: 'A <b>bold</b> title', cspSource: 'vscode-resource:', nonce: 'abc123' });
  assert.match(html, /script-src 'nonce-abc123'/);
  assert.ok(html.includes('<title>A &lt;b&gt;bold&lt;/b&gt; title</title>'));
  const scripts = [...html.matchAll(/<script nonce="([^"]+)">([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.equal(scripts[0][1], 'abc123');
  assert.doesNotThrow(() => new vm.Script(scripts[0][2]));
  for (const [name] of BUTTONS) assert.match(html, new RegExp(`data-command="${name}"`));
  for (const kind of ['do', 'say', 'story']) assert.match(html, new RegExp(`<option value="${kind}">`));
});
