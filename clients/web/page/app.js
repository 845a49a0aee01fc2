// Connects to the daemon and shows one view at a time, chosen by the URL's hash:
//   #/                       home (scenarios and adventures)     home.js   renderHome
//   #/scenario/ID[/TAB]      scenario editor (plot|cards|details) editor.js renderEditor
//   #/play/ID                play view                           play.js   renderPlay
// A view is `render(root, ctx, ...args)` and returns a function that undoes its subscriptions.
// ctx: { rpc, navigate(hash), refreshAfterChanges(handler) }.
import { connect } from './rpc.js';
import { h, replaceChildren, toast, describeError } from './dom.js';
import { renderHome } from './home.js';
import { renderEditor } from './editor.js';
import { renderPlay } from './play.js';
import { openSettings } from './settings.js';

const root = document.getElementById('view');
let leaveView = null;

function route(ctx) {
  leaveView?.();
  leaveView = null;
  const [, kind, id, tab] = (location.hash || '#/').slice(1).split('/').map(decodeURIComponent);
  root.replaceChildren();
  try {
    if (kind === 'scenario' && id) leaveView = renderEditor(root, ctx, id, tab || 'plot');
    else if (kind === 'play' && id) leaveView = renderPlay(root, ctx, id);
    else leaveView = renderHome(root, ctx);
  } catch (error) {
    replaceChildren(root, h('p', { class: 'error' }, describeError(error)));
  }
  root.focus({ preventScroll: true });
}

/**
 * `library/changed` comes one notification per row and in bursts (an import is hundreds): a view's
 * handler gets the burst's changes once, on the next animation frame after the last one arrived.
 */
function burstListener(rpc) {
  const handlers = new Set();
  let queued = [];
  let scheduled = false;
  rpc.on('library/changed', (change) => {
    queued.push(change);
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      const changes = queued;
      queued = [];
      for (const handler of handlers) handler(changes);
    }, 50);
  });
  return (handler) => {
    handlers.add(handler);
    return () => handlers.delete(handler);
  };
}

async function main() {
  let rpc;
  try {
    rpc = await connect();
  } catch (error) {
    replaceChildren(root, h('p', { class: 'error' },
      `Could not reach imaginai: ${describeError(error)}. Is \`imaginai web\` still running? Start it again and open the address it prints.`));
    return;
  }
  rpc.onClose(() => {
    document.body.classList.add('disconnected');
    toast('The connection to imaginai closed. Reload the page once `imaginai web` runs again.', { kind: 'error', ms: 600000 });
  });
  const ctx = {
    rpc,
    navigate(hash) {
      if (location.hash === hash) route(ctx);
      else location.hash = hash;
    },
    refreshAfterChanges: burstListener(rpc),
  };
  document.getElementById('open-settings').addEventListener('click', () => openSettings(ctx));
  window.addEventListener('hashchange', () => route(ctx));
  route(ctx);
}

main();
