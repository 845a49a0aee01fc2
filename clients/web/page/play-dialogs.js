// The modal shell the play view's dialogs share (context viewer, settings); questions use home.js's ask().
import { h } from './dom.js';

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
