// Small modal helpers the play view shares: a confirmation that is a real <dialog> (keyboard and screen
// reader friendly, unlike window.confirm in some browsers) and a labelled modal shell.
import { h } from './dom.js';

/** Resolves true when the person confirms, false when they cancel or press Escape. */
export function confirmDialog(message, { confirmLabel = 'Delete', danger = true } = {}) {
  return new Promise((resolve) => {
    const confirmButton = h('button', { type: 'button', class: danger ? 'primary danger-fill' : 'primary' }, confirmLabel);
    const cancelButton = h('button', { type: 'button' }, 'Cancel');
    const dialog = h('dialog', { class: 'confirm-dialog', 'aria-label': confirmLabel },
      h('p', {}, message),
      h('div', { class: 'dialog-buttons' }, cancelButton, confirmButton));
    let answer = false;
    confirmButton.addEventListener('click', () => { answer = true; dialog.close(); });
    cancelButton.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}

/**
 * A modal <dialog> with a heading and a Close button; Escape closes it too (the browser's own). Returns
 * {dialog, body}; the dialog removes itself when closed and `onClose` runs.
 */
export function modal(title, { className = '', onClose } = {}) {
  const headingId = `dialog-title-${Math.random().toString(36).slice(2)}`;
  const body = h('div', { class: 'dialog-body' });
  const closeButton = h('button', { type: 'button', class: 'dialog-close', 'aria-label': 'Close' }, '×');
  const dialog = h('dialog', { class: `modal ${className}`, 'aria-labelledby': headingId },
    h('div', { class: 'dialog-head' }, h('h2', { id: headingId }, title), closeButton),
    body);
  closeButton.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { dialog.remove(); onClose?.(); });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, closeButton };
}
