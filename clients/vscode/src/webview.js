'use strict';
// The story webview's page: HTML, CSS and the script that talks to the extension with
// postMessage. No dependency on `vscode` (the extension passes in the CSP source and a nonce).
//
// extension → page: {type: 'state', title, html, busy, error?}  whole story (html from renderStoryHtml)
//                   {type: 'stream', text}                        the text streamed so far
//                   {type: 'error', message}
// page → extension: {type: 'ready'}
//                   {type: 'act', action: 'do'|'say'|'story', text}
//                   {type: 'command', name: one of BUTTONS' names}
// A state's `note` is a passing fact (the version shown: "version 2/3"); `closed` means the adventure is
// gone (deleted elsewhere) and nothing can be sent any more.

const crypto = require('crypto');
const { escapeHtml } = require('./story');

function makeNonce() {
  return crypto.randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

const BUTTONS = [
  ['continue', 'Continue', 'Let the story go on without an action'],
  ['retry', 'Retry', 'Generate a new version of the latest reply'],
  ['previousVersion', '‹ Version', 'Show the previous version of the latest reply'],
  ['nextVersion', 'Version ›', 'Show the next version of the latest reply'],
  ['undo', 'Undo', 'Take out the latest exchange'],
  ['redo', 'Redo', 'Bring back what was undone'],
  ['cancel', 'Cancel', 'Stop the generation'],
  ['context', 'Context', 'Show what the next prompt would contain'],
  ['usage', 'Usage', 'Tokens used so far'],
];

function storyPageHtml({ title, cspSource = '', nonce = makeNonce() }) {
  const buttons = BUTTONS.map(([name, label, tip]) => `<button data-command="${name}" title="${tip}">${label}</button>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-editor-font-family, serif); font-size: var(--vscode-editor-font-size, 14px); color: var(--vscode-editor-foreground); background: var(--vscode-editor-background); margin: 0; display: flex; flex-direction: column; height: 100vh; }
  #story { flex: 1; overflow-y: auto; padding: 1em 1.5em; line-height: 1.55; max-width: 48em; }
  .turn { margin: 0 0 1em 0; white-space: normal; }
  .turn.player { color: var(--vscode-textLink-foreground); font-style: italic; }
  .turn.player.story { font-style: normal; }
  .turn.pending, .turn.streaming { opacity: 0.85; }
  .turn.streaming::after { content: '▍'; animation: blink 1s steps(1) infinite; }
  @keyframes blink { 50% { opacity: 0; } }
  #bar { border-top: 1px solid var(--vscode-panel-border, #8884); padding: 0.5em 1em; display: flex; flex-direction: column; gap: 0.4em; }
  #input-row { display: flex; gap: 0.4em; }
  #text { flex: 1; font: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, #8886); padding: 0.3em; resize: vertical; min-height: 2.2em; }
  select, button { font: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 0.25em 0.7em; cursor: pointer; }
  select { color: var(--vscode-dropdown-foreground); background: var(--vscode-dropdown-background); }
  button:disabled { opacity: 0.5; cursor: default; }
  #status { font-size: 0.85em; opacity: 0.8; min-height: 1.2em; }
  #status.error { color: var(--vscode-errorForeground); opacity: 1; }
</style>
</head>
<body>
<div id="story" aria-live="polite"></div>
<div id="bar">
  <div id="input-row">
    <select id="action" title="Action kind">
      <option value="do">Do</option>
      <option value="say">Say</option>
      <option value="story">Story</option>
    </select>
    <textarea id="text" rows="1" placeholder="What do you do? (Enter to send, Shift+Enter for a new line)"></textarea>
    <button id="send" title="Send the action">Send</button>
  </div>
  <div id="buttons">${buttons}</div>
  <div id="status"></div>
</div>
<script nonce="${nonce}">
(function () {
  const vscode = acquireVsCodeApi();
  const story = document.getElementById('story');
  const text = document.getElementById('text');
  const action = document.getElementById('action');
  const send = document.getElementById('send');
  const status = document.getElementById('status');
  let busy = false;
  let closed = false;
  function atBottom() { return story.scrollHeight - story.scrollTop - story.clientHeight < 40; }
  function setBusy(b) {
    busy = b;
    send.disabled = b || closed;
    text.disabled = closed;
    for (const button of document.querySelectorAll('#buttons button')) {
      const name = button.dataset.command;
      button.disabled = closed || (name === 'cancel' ? !b : (b && name !== 'context' && name !== 'usage'));
    }
  }
  function submit() {
    const value = text.value;
    if (!value.trim() || busy || closed) return;
    vscode.postMessage({ type: 'act', action: action.value, text: value });
    text.value = '';
  }
  send.addEventListener('click', submit);
  text.addEventListener('keydown', (e) => {
    // Enter with ctrl/alt/cmd belongs to VS Code's key bindings (ctrl+alt+enter runs ImaginAI: Do).
    if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) { e.preventDefault(); submit(); }
  });
  for (const button of document.querySelectorAll('#buttons button')) {
    button.addEventListener('click', () => vscode.postMessage({ type: 'command', name: button.dataset.command }));
  }
  window.addEventListener('message', (event) => {
    const msg = event.data;
    const follow = atBottom();
    if (msg.type === 'state') {
      story.innerHTML = msg.html;
      document.title = msg.title;
      closed = Boolean(msg.closed);
      setBusy(msg.busy);
      status.textContent = msg.error || (msg.busy ? 'Writing…' : (msg.note || ''));
      status.className = msg.error ? 'error' : '';
    } else if (msg.type === 'stream') {
      const el = story.querySelector('.turn.streaming');
      if (el) el.textContent = msg.text;
    } else if (msg.type === 'error') {
      status.textContent = msg.message;
      status.className = 'error';
    }
    if (follow) story.scrollTop = story.scrollHeight;
  });
  setBusy(false);
  vscode.postMessage({ type: 'ready' });
}());
</script>
</body>
</html>`;
}

module.exports = { storyPageHtml, makeNonce, BUTTONS };
