'use strict';
const path = require('path');
const { DaemonSession } = require('../src/session');

const BIN = process.env.IMAGINAI_BIN;
if (!BIN) {
  throw new Error('IMAGINAI_BIN must name the imaginai binary (clients/vscode/run-tests sets it)');
}

/** A fresh in-memory daemon with an instant storyteller unless `delayMs` says otherwise. */
async function startSession({ delayMs = 0 } = {}) {
  const session = await DaemonSession.start({ binPath: BIN, database: ':memory:' });
  await session.updateSettings({ storytellerDelayMs: delayMs });
  return session;
}

/** Starts an adventure from the sample scenario. */
async function sampleAdventure(session) {
  const { scenarios } = await session.listScenarios();
  return session.startAdventure(scenarios[0].id, 'Test run');
}

module.exports = { BIN, startSession, sampleAdventure, root: path.join(__dirname, '..') };
