'use strict';
// The tree model behind the "ImaginAI" side bar: scenarios, each with its cards (in a group) and the
// adventures started from it, each adventure with its own cards; plus a group for adventures whose
// scenario was deleted. No dependency on `vscode`: the extension maps these nodes onto vscode.TreeItem.

const { cardSummary, cardToText } = require('./cards');

const ORPHANS_ID = 'orphans';

function scenarioNode(s) {
  return {
    kind: 'scenario',
    id: s.id,
    label: s.name,
    description: s.cardCount === 1 ? '1 card' : `${s.cardCount} cards`,
    tooltip: s.playerDescription || s.name,
    collapsible: true,
    summary: s,
  };
}

function adventureNode(a) {
  return {
    kind: 'adventure',
    id: a.id,
    label: a.name,
    description: a.turnCount === 1 ? '1 turn' : `${a.turnCount} turns`,
    tooltip: a.excerpt || a.name,
    collapsible: true, // its cards
    scenarioId: a.scenarioId,
    summary: a,
  };
}

/** The "Cards" group under a scenario (an adventure lists its cards directly). */
function cardsGroupNode(scenario) {
  return {
    kind: 'cards',
    id: scenario.id,
    label: 'Cards',
    description: `${scenario.cardCount}`,
    tooltip: `The cards of "${scenario.name}"; adventures started from it keep their own copies`,
    collapsible: true,
    owner: { scenarioId: scenario.id },
  };
}

/** A card: its type and the rules that set it apart as the description, every field in the tooltip. */
function cardNode(card, owner) {
  return {
    kind: 'card',
    id: card.id,
    label: card.name,
    description: cardSummary(card),
    tooltip: cardToText(card),
    collapsible: false,
    card,
    owner,
  };
}

class TreeModel {
  constructor(session) {
    this.session = session;
    this.adventures = null;
  }

  /** Drops cached adventure lists; the next roots() re-reads everything. */
  invalidate() {
    this.adventures = null;
  }

  async _adventures() {
    if (!this.adventures) this.adventures = await this.session.allAdventures();
    return this.adventures;
  }

  /** Scenarios, most recently updated first; then "Adventures without a scenario" if any. */
  async roots() {
    this.invalidate();
    const [scenarios, adventures] = await Promise.all([this.session.allScenarios(), this._adventures()]);
    const nodes = scenarios.map(scenarioNode);
    const orphans = adventures.filter((a) => a.scenarioId === null);
    if (orphans.length) {
      nodes.push({
        kind: 'group',
        id: ORPHANS_ID,
        label: 'Adventures without a scenario',
        description: `${orphans.length}`,
        tooltip: 'Adventures whose scenario was deleted',
        collapsible: true,
      });
    }
    return nodes;
  }

  /**
   * A scenario's "Cards" group then its adventures, most recently played first; the orphans group's
   * adventures; the cards of a "Cards" group or of an adventure, in the order the daemon keeps them.
   */
  async children(node) {
    if (!node) return this.roots();
    if (node.kind === 'card') return [];
    if (node.kind === 'cards') {
      const scenario = await this.session.getScenario(node.id);
      return scenario.cards.map((c) => cardNode(c, node.owner));
    }
    if (node.kind === 'adventure') {
      const adventure = await this.session.getAdventure(node.id);
      return adventure.cards.map((c) => cardNode(c, { adventureId: node.id }));
    }
    const adventures = await this._adventures();
    const wanted = node.kind === 'group' ? null : node.id;
    const nodes = adventures.filter((a) => a.scenarioId === wanted).map(adventureNode);
    return node.kind === 'scenario' ? [cardsGroupNode(node.summary), ...nodes] : nodes;
  }
}

module.exports = { TreeModel, scenarioNode, adventureNode, cardsGroupNode, cardNode };
