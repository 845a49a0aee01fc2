'use strict';
// The tree model behind the "ImaginAI" side bar: scenarios, each with the adventures started from
// it, plus a group for adventures whose scenario was deleted. No dependency on `vscode`: the
// extension maps these nodes onto vscode.TreeItem.

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
    collapsible: false,
    scenarioId: a.scenarioId,
    summary: a,
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

  /** Adventures of a scenario (or of the orphans group), most recently played first. */
  async children(node) {
    if (!node) return this.roots();
    if (node.kind === 'adventure') return [];
    const adventures = await this._adventures();
    const wanted = node.kind === 'group' ? null : node.id;
    return adventures.filter((a) => a.scenarioId === wanted).map(adventureNode);
  }
}

module.exports = { TreeModel, scenarioNode, adventureNode };
