// The context viewer: what the next generation would send (story/preview) — each section with its
// tokens, the cards that fired and why (or why they were left out), and which turns the budget dropped.
import { h } from './dom.js';
import { modal } from './play-dialogs.js';

const SECTION_NAMES = {
  system: 'System instruction', instructions: 'Instructions', plotEssentials: 'Plot essentials',
  cards: 'Cards', memories: 'Memories (recalled turns)', summary: 'Summary', history: 'History',
  cardsAfterHistory: 'Cards after the history', authorsNotes: "Author's notes", action: 'Your action',
};
const LEFT_OUT = {
  group: 'left out: another card of its group has a higher order',
  probability: 'left out: its probability roll failed',
  budget: 'left out: no room in the card budget',
};

export function openContextViewer(preview, { adventure, forAction, returnFocus }) {
  const { body } = modal('Context', { className: 'context-dialog', onClose: () => returnFocus?.focus() });
  const cardNames = new Map((adventure?.cards ?? []).map((card) => [card.id, card.name]));
  const share = (tokens) => (preview.budgetTokens > 0 ? Math.max(0.5, (tokens / preview.budgetTokens) * 100) : 0);

  body.append(
    h('p', { class: 'context-summary' },
      `${preview.totalTokens.toLocaleString('en')} of ${preview.budgetTokens.toLocaleString('en')} tokens for ${preview.model}`,
      h('span', { class: 'muted' }, forAction ? ` · for your ${forAction.action} action` : ' · for Continue (no action typed)')),
    h('div', { class: 'token-bar', role: 'img', 'aria-label': `${preview.totalTokens} of ${preview.budgetTokens} tokens used` },
      preview.sections.map((section) => {
        const part = h('span', { class: `token-part section-${section.name}`, title: `${SECTION_NAMES[section.name] ?? section.name}: ${section.tokens}` });
        part.style.width = `${share(section.tokens)}%`;
        return part;
      })),

    h('h3', {}, 'Sections'),
    h('div', { class: 'context-sections' }, preview.sections.map((section) => h('details', { class: `context-section section-${section.name}` },
      h('summary', {},
        h('span', { class: 'section-name' }, SECTION_NAMES[section.name] ?? section.name),
        h('span', { class: 'section-tokens muted' }, `${section.tokens.toLocaleString('en')} tokens`)),
      h('pre', { class: 'section-text' }, section.text)))),

    h('h3', {}, 'Cards that fired'),
    preview.firedCards.length === 0 ? h('p', { class: 'muted' }, 'No card fired: none of their keys is in the recent story or the action.') :
      h('ul', { class: 'fired-cards' }, preview.firedCards.map((fired) => h('li', { class: fired.included ? 'included' : 'left-out' },
        h('span', { class: 'fired-name' }, fired.name),
        h('span', { class: 'fired-why' }, whyFired(fired, cardNames)),
        h('span', { class: 'fired-state' }, fired.included ? 'included' : LEFT_OUT[fired.leftOut] ?? `left out (${fired.leftOut})`)))),

    h('h3', {}, 'Turns'),
    h('ul', { class: 'context-turns' },
      h('li', {}, preview.includedTurns.length === 0 ? 'No turn of the history fits.' :
        `In the history: ${describeRange(preview.includedTurns)} (${preview.includedTurns.length} turns).`),
      h('li', {}, preview.droppedTurns.length === 0 ? 'No turn was dropped for the budget.' :
        `Dropped for the budget: ${describeRange([...preview.droppedTurns].reverse())} (${preview.droppedTurns.length} turns).`),
      preview.olderTurnsOmitted > 0 ? h('li', {}, `Older turns left out: ${preview.olderTurnsOmitted}.`) : null,
      h('li', {}, preview.recalledTurns.length === 0 ? 'No older turn was recalled.' :
        `Recalled into memories: ${preview.recalledTurns.length} ${preview.recalledTurns.length === 1 ? 'turn' : 'turns'} (see the Memories section).`)));
}

function whyFired(fired, cardNames) {
  if (fired.trigger === 'constant') return 'always included';
  if (fired.trigger === 'sticky') return 'still sticky from an earlier turn';
  if (fired.trigger === 'card') {
    const by = cardNames.get(fired.firedBy) ?? fired.firedBy ?? 'another card';
    return `named by the card “${by}”${fired.key ? ` (key “${fired.key}”)` : ''}`;
  }
  return fired.key ? `key “${fired.key}” in the story` : 'named in the story';
}

/** Turn indexes (0-based, sorted) → "turns 3–50, 52" in the 1-based numbers the log shows. */
function describeRange(indexes) {
  const sorted = [...indexes].sort((a, b) => a - b);
  const runs = [];
  for (const index of sorted) {
    const run = runs[runs.length - 1];
    if (run && index === run[1] + 1) run[1] = index;
    else runs.push([index, index]);
  }
  const text = runs.map(([first, last]) => (first === last ? `${first + 1}` : `${first + 1}–${last + 1}`)).join(', ');
  return `${sorted.length === 1 ? 'turn' : 'turns'} ${text}`;
}
