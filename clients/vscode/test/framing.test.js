'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const { encode, FrameReader, parseHeaders, FramingError } = require('../src/framing');
const { RpcClient } = require('../src/client');
const { BIN } = require('../test-support/helpers');

function collect() {
  const messages = [];
  const errors = [];
  const reader = new FrameReader((m) => messages.push(m), (e) => errors.push(e));
  return { messages, errors, reader };
}

test('encode counts Content-Length in UTF-8 bytes, not characters', () => {
  const msg = { text: 'Ærøskøbing 🌊 灯台' };
  const frame = encode(msg);
  const [header, body] = frame.toString('utf8').split('\r\n\r\n');
  const n = Number(/Content-Length: (\d+)/.exec(header)[1]);
  assert.equal(n, Buffer.byteLength(JSON.stringify(msg), 'utf8'));
  assert.ok(n > JSON.stringify(msg).length);
  assert.deepEqual(JSON.parse(body), msg);
});

test('reader reassembles a message split at every byte, including inside a multi-byte character', () => {
  const { messages, reader } = collect();
  const frame = encode({ id: 1, text: 'é🌊' });
  for (let i = 0; i < frame.length; i++) reader.push(frame.subarray(i, i + 1));
  assert.deepEqual(messages, [{ id: 1, text: 'é🌊' }]);
});

test('reader reads several messages from one chunk, and a trailing partial one later', () => {
  const { messages, reader } = collect();
  const all = Buffer.concat([encode({ a: 1 }), encode({ b: 'ü' }), encode({ c: [3] })]);
  const cut = all.length - 5;
  reader.push(all.subarray(0, cut));
  assert.equal(messages.length, 2);
  reader.push(all.subarray(cut));
  assert.deepEqual(messages, [{ a: 1 }, { b: 'ü' }, { c: [3] }]);
});

test('headers: case-insensitive, other headers ignored, bad blocks are errors and skipped', () => {
  assert.equal(parseHeaders('content-length:  12 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8'), 12);
  assert.throws(() => parseHeaders('Content-Type: x'), FramingError);
  assert.throws(() => parseHeaders('Content-Length: 1\r\nContent-Length: 2'), FramingError);
  assert.throws(() => parseHeaders('Content-Length: twelve'), FramingError);
  assert.throws(() => parseHeaders('garbage'), FramingError);
  const { messages, errors, reader } = collect();
  reader.push(Buffer.from('Bogus: 1\r\n\r\n'));
  reader.push(Buffer.concat([Buffer.from('Content-Length: 3\r\n\r\nxyz'), encode({ ok: true })]));
  assert.equal(errors.length, 2); // no Content-Length; body not JSON
  assert.deepEqual(messages, [{ ok: true }]);
});

test('the real daemon: requests written byte by byte and several in one write, UTF-8 names round-trip', async (t) => {
  const child = spawn(BIN, ['serve', '--db', ':memory:'], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => child.kill());
  const answers = [];
  const reader = new FrameReader((m) => answers.push(m));
  child.stdout.on('data', (d) => reader.push(d));
  const exited = new Promise((r) => child.on('exit', r));
  const waitFor = async (n) => { while (answers.length < n) await new Promise((r) => setTimeout(r, 5)); };

  // initialize split into single bytes, header included
  const init = encode({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
  for (let i = 0; i < init.length; i++) child.stdin.write(init.subarray(i, i + 1));
  await waitFor(1);
  assert.equal(answers[0].id, 1);
  assert.equal(answers[0].result.protocolVersion, '1.0');

  // several messages in one write (a notification, a request whose multi-byte name only fits
  // when Content-Length counts bytes, and a second one); requests run concurrently, so the one
  // that reads what the other wrote goes in the next write
  const name = 'Ærøskøbing 🌊 灯台';
  child.stdin.write(Buffer.concat([
    encode({ jsonrpc: '2.0', method: 'initialized' }),
    encode({ jsonrpc: '2.0', id: 2, method: 'scenario/create', params: { scenario: { name } } }),
    encode({ jsonrpc: '2.0', id: 'two-b', method: 'settings/get' }),
  ]));
  await waitFor(3);
  child.stdin.write(Buffer.concat([
    encode({ jsonrpc: '2.0', id: 'three', method: 'scenario/list', params: { query: '灯台' } }),
    encode({ jsonrpc: '2.0', id: 4, method: 'shutdown' }),
  ]));
  await waitFor(5);
  const byId = new Map(answers.map((a) => [a.id, a]));
  assert.equal(byId.get(2).result.name, name);
  assert.equal(byId.get('three').result.total, 1);
  assert.equal(byId.get('three').result.scenarios[0].name, name);
  assert.equal(byId.get(4).result, null);
  assert.equal(byId.get('two-b').result.model, 'offline/storyteller');
  child.stdin.end(encode({ jsonrpc: '2.0', method: 'exit' }));
  assert.equal(await exited, 0);
});

test('RpcClient matches concurrent responses by id', async (t) => {
  const child = spawn(BIN, ['serve', '--db', ':memory:'], { stdio: ['pipe', 'pipe', 'ignore'] });
  t.after(() => child.kill());
  const client = new RpcClient(child.stdout, child.stdin);
  await client.request('initialize', {});
  client.notify('initialized');
  const names = ['α', 'β', 'γ', 'δ', 'ε'];
  const created = await Promise.all(names.map((name) => client.request('scenario/create', { scenario: { name } })));
  assert.deepEqual(created.map((s) => s.name), names);
  assert.equal(await client.request('shutdown'), null);
  const exited = new Promise((r) => child.on('exit', r));
  client.notify('exit');
  assert.equal(await exited, 0);
});
