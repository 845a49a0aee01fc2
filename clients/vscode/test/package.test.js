'use strict';
// Builds the .vsix with package-vsix and checks it as VS Code would read it: the zip's entries, the
// manifest against package.json, every file package.json points at, nothing of the tests, and the
// extension loading from the unpacked folder.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { readZip } = require('../test-support/zip');
const { loadExtension } = require('../test-support/fake-vscode');
const { BIN } = require('../test-support/helpers');

const root = path.join(__dirname, '..');
const repo = path.join(root, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The text of the first element `tag` in xml (entities decoded), or undefined. */
function element(xml, tag) {
  const m = new RegExp(`<${tag}(?: [^>]*)?>([^<]*)</${tag}>`).exec(xml);
  return m ? m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&') : undefined;
}

function attributes(xml, tag) {
  const out = [];
  for (const m of xml.matchAll(new RegExp(`<${tag} ([^>]*?)/?>`, 'g'))) {
    out.push(Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
  }
  return out;
}

let built; // {file, entries: Map<name, Buffer>, dir}

test('package-vsix builds imaginai-vscode-<version>.vsix, a zip laid out as vsce lays it out', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imaginai-vsix-'));
  const printed = execFileSync(path.join(root, 'package-vsix'), ['--out', dir], { encoding: 'utf8' }).trim();
  const file = path.join(dir, `${manifest.name}-${manifest.version}.vsix`);
  assert.equal(printed, file);
  const entries = new Map(readZip(fs.readFileSync(file)).map((e) => [e.name, e.data]));
  built = { file, entries, dir };
  const names = [...entries.keys()];
  assert.equal(names[0], '[Content_Types].xml');
  assert.equal(names[1], 'extension.vsixmanifest');
  assert.ok(names.slice(2).every((n) => n.startsWith('extension/')), names.join(', '));
  for (const required of ['extension/package.json', 'extension/README.md', 'extension/LICENSE.txt']) assert.ok(entries.has(required), required);
  assert.ok(names.every((n) => !/(^|\/)(test|test-support|build|node_modules)\//.test(n) && !/\.test\.js$/.test(n)), `test files packaged: ${names.join(', ')}`);
  // the code and media folders are packaged whole
  for (const folder of ['src', 'media']) {
    for (const f of fs.readdirSync(path.join(root, folder))) {
      const entry = `extension/${folder}/${f}`;
      assert.ok(entries.has(entry), entry);
      assert.ok(entries.get(entry).equals(fs.readFileSync(path.join(root, folder, f))), `${entry} differs from its source`);
    }
  }
  assert.ok(entries.get('extension/package.json').equals(fs.readFileSync(path.join(root, 'package.json'))));
  assert.ok(entries.get('extension/LICENSE.txt').equals(fs.readFileSync(path.join(repo, 'LICENSE'))), 'the repository\'s LICENSE');
  assert.match(entries.get('extension/LICENSE.txt').toString('utf8'), /Apache License\s+Version 2\.0/);

  // every file type in the package has a content type
  const types = entries.get('[Content_Types].xml').toString('utf8');
  const declared = new Set(attributes(types, 'Default').map((d) => d.Extension));
  for (const n of names.filter((name) => name !== '[Content_Types].xml')) {
    const ext = path.extname(n);
    if (ext) assert.ok(declared.has(ext), `no content type for ${ext} (${n})`);
  }
});

test('the .vsix manifest says what package.json says, and its assets are in the package', () => {
  assert.ok(built, 'the package was built');
  const xml = built.entries.get('extension.vsixmanifest').toString('utf8');
  const [identity] = attributes(xml, 'Identity');
  assert.deepEqual(
    { Id: identity.Id, Publisher: identity.Publisher, Version: identity.Version },
    { Id: manifest.name, Publisher: manifest.publisher, Version: manifest.version },
  );
  assert.equal(element(xml, 'DisplayName'), manifest.displayName);
  assert.equal(element(xml, 'Description'), manifest.description);
  assert.equal(element(xml, 'Categories'), manifest.categories.join(','));
  const properties = Object.fromEntries(attributes(xml, 'Property').map((p) => [p.Id, p.Value]));
  assert.equal(properties['Microsoft.VisualStudio.Code.Engine'], manifest.engines.vscode);
  assert.deepEqual(attributes(xml, 'InstallationTarget'), [{ Id: 'Microsoft.VisualStudio.Code' }]);
  const assets = Object.fromEntries(attributes(xml, 'Asset').map((a) => [a.Type, a.Path]));
  assert.equal(assets['Microsoft.VisualStudio.Code.Manifest'], 'extension/package.json');
  assert.equal(assets['Microsoft.VisualStudio.Services.Content.Details'], 'extension/README.md');
  assert.equal(assets['Microsoft.VisualStudio.Services.Content.License'], 'extension/LICENSE.txt');
  assert.equal(element(xml, 'License'), 'extension/LICENSE.txt');
  for (const p of Object.values(assets)) assert.ok(built.entries.has(p), `asset ${p} is in the package`);

  // every file package.json points at is packaged
  const pointedAt = [manifest.main];
  if (manifest.icon) pointedAt.push(manifest.icon);
  for (const containers of Object.values(manifest.contributes.viewsContainers)) for (const c of containers) pointedAt.push(c.icon);
  for (const p of pointedAt) assert.ok(built.entries.has(`extension/${path.posix.normalize(p)}`), `package.json points at ${p}`);
  assert.equal(manifest.license, 'Apache-2.0');
  assert.equal(manifest.repository.type, 'git');
});

test('the extension loads from the unpacked package and talks to the daemon', async (t) => {
  assert.ok(built, 'the package was built');
  const unpacked = path.join(built.dir, 'unpacked');
  for (const [name, data] of built.entries) {
    const target = path.join(unpacked, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  t.after(() => fs.rmSync(built.dir, { recursive: true, force: true }));
  const folder = path.join(unpacked, 'extension');
  const packagedManifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
  const { extension, log } = loadExtension(
    { 'imaginai.path': BIN, 'imaginai.database': ':memory:' },
    path.join(folder, packagedManifest.main),
  );
  assert.ok(require.resolve(path.join(folder, packagedManifest.main)).startsWith(folder), 'the packaged code, not the checkout\'s');
  const context = { subscriptions: [] };
  extension.activate(context);
  t.after(() => extension.deactivate());
  assert.deepEqual([...log.commands.keys()].sort(), packagedManifest.contributes.commands.map((c) => c.command).sort());
  const roots = await log.treeViews[0].options.treeDataProvider.getChildren();
  assert.deepEqual(log.errors, []);
  assert.equal(roots.length, 1, 'the sample scenario, read from the daemon');
});
