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

/** Runs the page's script against a tiny fake DOM; returns handles to drive and inspect it. */
function runPage() {
  const html = storyPageHtml({ title: 'T', nonce: 'n' });
  const script = /<script nonce="n">([\s\S]*?)<\/script>/.exec(html)[1];
  const listeners = new Map();
  const element = (id, extra = {}) => ({
    id, value: '', textContent: '', innerHTML: '', className: '', disabled: false, dataset: {},
    scrollTop: 0, scrollHeight: 0, clientHeight: 0, handlers: {},
    addEventListener(type, fn) { this.handlers[type] = fn; },
    querySelector: () => null,
    ...extra,
  });
  const streaming = element('streaming');
  const elements = {
    story: element('story', { querySelector: (sel) => (sel === '.turn.streaming' && elements.story.innerHTML.includes('streaming') ? streaming : null) }),
    text: element('text'),
    action: element('action', { value: 'do' }),
    send: element('send'),
    status: element('status'),
  };
  const buttons = BUTTONS.map(([name]) => element(`b-${name}`, { dataset: { command: name } }));
  const posted = [];
  const document = {
    title: '',
    getElementById: (id) => elements[id],
    querySelectorAll: (sel) => (sel === '#buttons button' ? buttons : []),
  };
  const window = { addEventListener: (type, fn) => listeners.set(type, fn) };
  vm.runInNewContext(script, { document, window, acquireVsCodeApi: () => ({ postMessage: (m) => posted.push(JSON.parse(JSON.stringify(m))) }) });
  const deliver = (data) => listeners.get('message')({ data });
  const button = (name) => buttons.find((b) => b.dataset.command === name);
  return { elements, streaming, posted, deliver, button, document };
}

test('the story page script: ready, send on Enter with the chosen kind, buttons, busy state, streaming', () => {
  const page = runPage();
  assert.deepEqual(page.posted, [{ type: 'ready' }]);
  assert.equal(page.button('cancel').disabled, true);

  page.elements.action.value = 'say';
  page.elements.text.value = 'who is there?';
  let prevented = false;
  page.elements.text.handlers.keydown({ key: 'Enter', shiftKey: false, preventDefault: () => { prevented = true; } });
  assert.ok(prevented);
  assert.deepEqual(page.posted[1], { type: 'act', action: 'say', text: 'who is there?' });
  assert.equal(page.elements.text.value, '');
  page.elements.text.value = 'kept';
  page.elements.text.handlers.keydown({ key: 'Enter', ctrlKey: true, altKey: true, preventDefault: () => assert.fail('a key binding\'s Enter is not the page\'s') });
  assert.equal(page.posted.length, 2, 'ctrl+alt+enter is VS Code\'s (ImaginAI: Do), not a send');
  assert.equal(page.elements.text.value, 'kept');
  page.elements.text.value = '   ';
  page.elements.send.handlers.click();
  assert.equal(page.posted.length, 2, 'blank actions are not sent');

  page.deliver({ type: 'state', title: 'Story', html: '<p class="turn ai streaming">…</p>', busy: true, error: '' });
  assert.equal(page.document.title, 'Story');
  assert.equal(page.elements.send.disabled, true);
  assert.equal(page.button('cancel').disabled, false);
  assert.equal(page.button('retry').disabled, true);
  assert.equal(page.button('context').disabled, false);
  page.deliver({ type: 'stream', text: 'The door' });
  assert.equal(page.streaming.textContent, 'The door');
  page.button('cancel').handlers.click();
  assert.deepEqual(page.posted[page.posted.length - 1], { type: 'command', name: 'cancel' });

  page.deliver({ type: 'state', title: 'Story', html: '<p class="turn ai">The door gives.</p>', busy: false, error: 'Nothing to redo' });
  assert.equal(page.elements.status.textContent, 'Nothing to redo');
  assert.equal(page.elements.status.className, 'error');
  assert.equal(page.button('cancel').disabled, true);
  assert.equal(page.button('redo').disabled, false);
});

test('the story page: a note (the version shown) in the status line; a closed story sends nothing', () => {
  const page = runPage();
  page.deliver({ type: 'state', title: 'Story', html: '<p class="turn ai">B</p>', busy: false, error: '', note: 'version 2/3' });
  assert.equal(page.elements.status.textContent, 'version 2/3');
  assert.equal(page.elements.status.className, '');
  page.button('previousVersion').handlers.click();
  assert.deepEqual(page.posted[page.posted.length - 1], { type: 'command', name: 'previousVersion' });

  page.deliver({ type: 'state', title: 'Story', html: '', busy: false, error: '"Story" was deleted in another window', note: '', closed: true });
  assert.equal(page.elements.status.textContent, '"Story" was deleted in another window');
  assert.equal(page.elements.send.disabled, true);
  assert.equal(page.elements.text.disabled, true);
  assert.ok(BUTTONS.every(([name]) => page.button(name).disabled), 'every button disabled');
  page.elements.text.value = 'hello?';
  page.elements.text.handlers.keydown({ key: 'Enter', shiftKey: false, preventDefault: () => {} });
  assert.ok(page.posted.every((m) => m.type !== 'act'), 'nothing sent');
});
