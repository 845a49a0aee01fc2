// Home: the scenarios one can start from and the adventures under way, with everything one does to them
// as a whole (start, edit, create, duplicate, delete, import, export). Lists are re-read whenever this
// page or another process (a second tab, a shell) changes the library.
import { h, replaceChildren, toast, describeError } from './dom.js';
import { downloadJson, fileNameFor, readFiles, describeImport } from './files-io.js';

const PAGE = 500;

/** Every row of a paged list method (the daemon answers at most `maxListLimit` a call). */
async function listAll(rpc, method, key) {
  const rows = [];
  for (;;) {
    const result = await rpc.request(method, { limit: PAGE, offset: rows.length });
    rows.push(...result[key]);
    if (result[key].length === 0 || rows.length >= result.total) return rows;
  }
}

function when(timestamp) {
  const date = new Date(timestamp);
  const seconds = (Date.now() - date.getTime()) / 1000;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * A modal question with real buttons (not window.confirm, so it can say exactly what goes and be styled).
 * Resolves to the chosen button's value, or null on Escape / Cancel.
 */
export function ask({ title, body, confirm, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'ask', 'aria-labelledby': 'ask-title' },
      h('h2', { id: 'ask-title' }, title),
      ...[body].flat().map((line) => h('p', {}, line)),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', onclick: () => dialog.close('') }, 'Cancel'),
        h('button', { type: 'button', class: danger ? 'danger-solid' : 'primary', onclick: () => dialog.close('yes') }, confirm)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes' ? 'yes' : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('.dialog-actions button:last-child').focus();
  });
}

export function renderHome(root, ctx) {
  const { rpc } = ctx;
  const capabilities = rpc.initializeResult?.capabilities ?? {};
  const state = { scenarios: [], adventures: [], query: '' };

  const search = h('input', { type: 'search', id: 'scenario-search', placeholder: 'Search by name, description or tag',
    autocomplete: 'off', oninput: () => { state.query = search.value; drawScenarios(); } });
  const fileInput = h('input', { type: 'file', id: 'import-file', multiple: true, accept: '.json,.lorebook,.txt,application/json',
    class: 'visually-hidden', 'aria-label': 'Import files',
    onchange: async () => {
      const files = await readFiles(fileInput.files);
      fileInput.value = '';
      if (files.length) chooseImport(files);
    } });
  const scenarioGrid = h('ul', { class: 'scenario-grid', 'aria-label': 'Scenarios' });
  const scenarioCount = h('span', { class: 'muted count' });
  const adventureList = h('ul', { class: 'adventure-list', 'aria-label': 'Adventures' });
  const adventureCount = h('span', { class: 'muted count' });

  const page = h('div', { class: 'home' },
    h('section', { class: 'home-section', 'aria-labelledby': 'adventures-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'adventures-title' }, 'Adventures'), adventureCount),
      adventureList),
    h('section', { class: 'home-section', 'aria-labelledby': 'scenarios-title' },
      h('div', { class: 'section-head' },
        h('h2', { id: 'scenarios-title' }, 'Scenarios'), scenarioCount,
        h('div', { class: 'section-tools' },
          h('label', { for: 'scenario-search', class: 'visually-hidden' }, 'Search scenarios'), search,
          h('button', { type: 'button', onclick: () => fileInput.click(), title: 'Or drop files anywhere on this page' }, 'Import…'),
          fileInput,
          h('button', { type: 'button', class: 'primary', onclick: createScenario }, 'New scenario'))),
      h('p', { class: 'muted drop-hint' }, 'Drop scenario files, lorebooks or card files anywhere on this page to import them.'),
      scenarioGrid),
    h('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, h('p', {}, 'Drop to import')));
  replaceChildren(root, page);

  // Reloads overlap (a burst of changes while one runs): only the newest one's answer is drawn.
  let reloads = 0;
  async function reload() {
    const mine = ++reloads;
    try {
      const [scenarios, adventures] = await Promise.all([
        listAll(rpc, 'scenario/list', 'scenarios'),
        listAll(rpc, 'adventure/list', 'adventures'),
      ]);
      if (mine !== reloads) return;
      state.scenarios = scenarios;
      state.adventures = adventures;
      drawScenarios();
      drawAdventures();
    } catch (error) {
      toast(`Could not read the library: ${describeError(error)}`, { kind: 'error' });
    }
  }

  function drawScenarios() {
    const needle = state.query.trim().toLowerCase();
    const shown = needle
      ? state.scenarios.filter((s) => [s.name, s.playerDescription, ...s.tags].some((text) => text.toLowerCase().includes(needle)))
      : state.scenarios;
    scenarioCount.textContent = needle ? `${shown.length} of ${state.scenarios.length}` : `${state.scenarios.length}`;
    const fragment = document.createDocumentFragment();
    for (const scenario of shown) fragment.append(scenarioTile(scenario));
    if (!shown.length) {
      fragment.append(h('li', { class: 'empty muted' }, state.scenarios.length
        ? `No scenario matches “${state.query}”.`
        : 'No scenarios yet. Create one or import a file.'));
    }
    scenarioGrid.replaceChildren(fragment);
  }

  function scenarioTile(scenario) {
    const titleId = `scn-${scenario.id}`;
    return h('li', { class: 'scenario-tile', dataset: { id: scenario.id }, 'aria-labelledby': titleId },
      h('h3', { id: titleId }, h('a', { href: `#/scenario/${encodeURIComponent(scenario.id)}/plot` }, scenario.name)),
      h('p', { class: 'description' }, scenario.playerDescription || h('span', { class: 'muted' }, 'No description')),
      h('p', { class: 'meta' },
        h('span', { class: 'card-count' }, plural(scenario.cardCount, 'card')),
        scenario.tags.map((tag) => h('span', { class: 'tag' }, tag))),
      h('div', { class: 'tile-actions' },
        h('button', { type: 'button', class: 'primary', 'aria-label': `Play ${scenario.name}`, onclick: () => startAdventure(scenario) }, 'Play'),
        h('button', { type: 'button', 'aria-label': `Edit ${scenario.name}`,
          onclick: () => ctx.navigate(`#/scenario/${encodeURIComponent(scenario.id)}/plot`) }, 'Edit'),
        h('button', { type: 'button', 'aria-label': `Duplicate ${scenario.name}`, onclick: () => duplicateScenario(scenario) }, 'Duplicate'),
        h('button', { type: 'button', 'aria-label': `Export ${scenario.name}`, onclick: () => exportScenario(scenario) }, 'Export'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${scenario.name}`, onclick: () => deleteScenario(scenario) }, 'Delete')));
  }

  function drawAdventures() {
    adventureCount.textContent = `${state.adventures.length}`;
    const fragment = document.createDocumentFragment();
    for (const adventure of state.adventures) {
      const titleId = `adv-${adventure.id}`;
      fragment.append(h('li', { class: 'adventure-row', dataset: { id: adventure.id }, 'aria-labelledby': titleId },
        h('div', { class: 'adventure-text' },
          h('h3', { id: titleId }, h('a', { href: `#/play/${encodeURIComponent(adventure.id)}` }, adventure.name)),
          h('p', { class: 'meta muted' },
            `${adventure.scenarioName}${adventure.scenarioId ? '' : ' (scenario deleted)'} · ${plural(adventure.turnCount, 'turn')} · played ${when(adventure.lastPlayedAt)}`),
          adventure.excerpt ? h('p', { class: 'excerpt' }, adventure.excerpt) : null),
        h('div', { class: 'tile-actions' },
          h('button', { type: 'button', class: 'primary', 'aria-label': `Continue ${adventure.name}`,
            onclick: () => ctx.navigate(`#/play/${encodeURIComponent(adventure.id)}`) }, 'Continue'),
          h('button', { type: 'button', 'aria-label': `Duplicate ${adventure.name}`, onclick: () => duplicateAdventure(adventure) }, 'Duplicate'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${adventure.name}`, onclick: () => deleteAdventure(adventure) }, 'Delete'))));
    }
    if (!state.adventures.length) {
      fragment.append(h('li', { class: 'empty muted' }, 'No adventures yet. Press Play on a scenario to start one.'));
    }
    adventureList.replaceChildren(fragment);
  }

  async function run(action, failure) {
    try {
      return await action();
    } catch (error) {
      toast(`${failure}: ${describeError(error)}`, { kind: 'error', ms: 8000 });
      return undefined;
    }
  }

  async function startAdventure(scenario) {
    const adventure = await run(() => rpc.request('adventure/start', { scenarioId: scenario.id }), `Could not start “${scenario.name}”`);
    if (adventure) ctx.navigate(`#/play/${encodeURIComponent(adventure.id)}`);
  }

  function createScenario() {
    const name = h('input', { id: 'new-scenario-name', required: true, autocomplete: 'off' });
    const error = h('p', { class: 'field-error', id: 'new-scenario-error', role: 'alert' });
    const dialog = h('dialog', { class: 'ask', 'aria-labelledby': 'new-scenario-title' },
      h('form', { method: 'dialog', onsubmit: async (event) => {
        event.preventDefault();
        try {
          const scenario = await rpc.request('scenario/create', { scenario: { name: name.value } });
          dialog.close();
          ctx.navigate(`#/scenario/${encodeURIComponent(scenario.id)}/plot`);
        } catch (failure) {
          error.textContent = describeError(failure);
          name.setAttribute('aria-invalid', 'true');
          name.focus();
        }
      } },
      h('h2', { id: 'new-scenario-title' }, 'New scenario'),
      h('label', { for: 'new-scenario-name' }, 'Name'), name, error,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Create'))));
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    name.focus();
  }

  async function duplicateScenario(scenario) {
    const copy = await run(() => rpc.request('scenario/duplicate', { id: scenario.id }), `Could not duplicate “${scenario.name}”`);
    if (copy) {
      toast(`Made “${copy.name}”.`);
      await reload();
    }
  }

  async function deleteScenario(scenario) {
    const using = state.adventures.filter((adventure) => adventure.scenarioId === scenario.id).length;
    const answer = await ask({
      title: `Delete “${scenario.name}”?`,
      body: [`The scenario and its ${plural(scenario.cardCount, 'card')} will be deleted for good.`,
        using ? `${plural(using, 'adventure')} started from it stay playable.` : null].filter(Boolean),
      confirm: 'Delete scenario', danger: true });
    if (answer !== 'yes') return;
    const done = await run(() => rpc.request('scenario/delete', { id: scenario.id }), `Could not delete “${scenario.name}”`);
    if (done) {
      toast(`Deleted “${scenario.name}”.`);
      await reload();
    }
  }

  async function duplicateAdventure(adventure) {
    const copy = await run(() => rpc.request('adventure/duplicate', { id: adventure.id }), `Could not duplicate “${adventure.name}”`);
    if (copy) {
      toast(`Made “${copy.name}”.`);
      await reload();
    }
  }

  async function deleteAdventure(adventure) {
    const answer = await ask({
      title: `Delete “${adventure.name}”?`,
      body: `The adventure and its ${plural(adventure.turnCount, 'turn')} will be deleted for good. Its scenario is not touched.`,
      confirm: 'Delete adventure', danger: true });
    if (answer !== 'yes') return;
    const done = await run(() => rpc.request('adventure/delete', { id: adventure.id }), `Could not delete “${adventure.name}”`);
    if (done) {
      toast(`Deleted “${adventure.name}”.`);
      await reload();
    }
  }

  function exportScenario(scenario) {
    const formatButtons = (formats, method, params, suffix) => formats.map((format) =>
      h('button', { type: 'button', 'aria-label': `${suffix === '' ? 'Scenario' : 'Cards'} as ${format}`, onclick: async () => {
        const result = await run(() => rpc.request(method, { ...params, format }), `Could not export “${scenario.name}”`);
        if (!result) return;
        const fileName = fileNameFor(scenario.name, `${suffix}.${result.format}`);
        downloadJson(fileName, result.data);
        toast(`Saved ${fileName} to your downloads.`);
        dialog.close();
      } }, format));
    const dialog = h('dialog', { class: 'ask', 'aria-labelledby': 'export-title' },
      h('h2', { id: 'export-title' }, `Export “${scenario.name}”`),
      h('h3', {}, 'The whole scenario'),
      h('div', { class: 'format-buttons' },
        formatButtons(capabilities.scenarioExportFormats ?? ['imaginai'], 'scenario/export', { id: scenario.id }, '')),
      h('h3', {}, 'Its cards only'),
      h('div', { class: 'format-buttons' },
        formatButtons(capabilities.cardExportFormats ?? ['imaginai'], 'cards/export', { scenarioId: scenario.id }, '.cards')),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')));
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  /** Asks where dropped or picked files go: each its own new scenario, or their cards into one scenario. */
  function chooseImport(files) {
    const target = h('select', { id: 'import-target' },
      h('option', { value: '' }, 'New scenario (one per file)'),
      state.scenarios.map((scenario) => h('option', { value: scenario.id }, `Add cards to “${scenario.name}”`)));
    const report = h('div', { class: 'import-report', role: 'status' });
    const go = h('button', { type: 'submit', class: 'primary' }, 'Import');
    const dialog = h('dialog', { class: 'ask import-dialog', 'aria-labelledby': 'import-title' },
      h('form', { method: 'dialog', onsubmit: async (event) => {
        event.preventDefault();
        go.disabled = true;
        report.replaceChildren();
        await importFiles(files, target.value, report);
        go.remove();
        dialog.querySelector('.cancel').textContent = 'Close';
        await reload();
      } },
      h('h2', { id: 'import-title' }, `Import ${plural(files.length, 'file')}`),
      h('ul', { class: 'file-names' }, files.map((file) => h('li', {}, file.name))),
      h('label', { for: 'import-target' }, 'Into'), target,
      report,
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'cancel', onclick: () => dialog.close() }, 'Cancel'), go)));
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    go.focus();
  }

  async function importFiles(files, scenarioId, report) {
    for (const file of files) {
      const block = h('div', { class: 'import-file' });
      report.append(block);
      try {
        let lines;
        if (scenarioId) {
          const result = await rpc.request('cards/import', { scenarioId, data: file.text });
          lines = describeImport(result, file.name, `added ${plural(result.imported, 'card')}`);
        } else {
          const result = await rpc.request('scenario/import', { data: file.text, fileName: file.name });
          const made = result.scenarios ?? [result];
          const names = made.map((s) => `“${s.name}” with ${plural(s.cards.length, 'card')}`).join(', ');
          lines = describeImport(result, file.name, `imported ${names}`);
        }
        block.append(h('p', { class: 'ok' }, lines[0]));
        if (lines.length > 1) block.append(h('ul', { class: 'import-notes' }, lines.slice(1).map((line) => h('li', {}, line))));
      } catch (error) {
        const where = error.data?.line ? ` (line ${error.data.line}, column ${error.data.column})` : '';
        block.append(h('p', { class: 'error' }, `${file.name}: ${describeError(error)}${where}`));
      }
    }
  }

  // Dropping files anywhere on the home page imports them; the overlay says so while they hover.
  let dragDepth = 0;
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  const onDragEnter = (event) => {
    if (!hasFiles(event)) return;
    dragDepth += 1;
    page.classList.add('dropping');
  };
  const onDragOver = (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  };
  const onDragLeave = () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) page.classList.remove('dropping');
  };
  const onDrop = async (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    page.classList.remove('dropping');
    const files = await readFiles(event.dataTransfer.files);
    if (files.length) chooseImport(files);
  };
  document.addEventListener('dragenter', onDragEnter);
  document.addEventListener('dragover', onDragOver);
  document.addEventListener('dragleave', onDragLeave);
  document.addEventListener('drop', onDrop);

  const stopListening = ctx.refreshAfterChanges((changes) => {
    if (changes.some((change) => change.kind === 'scenario' || change.kind === 'adventure' || change.kind === 'card')) reload();
  });
  reload();

  return () => {
    stopListening();
    document.removeEventListener('dragenter', onDragEnter);
    document.removeEventListener('dragover', onDragOver);
    document.removeEventListener('dragleave', onDragLeave);
    document.removeEventListener('drop', onDrop);
  };
}
