// Builds the page from elements and text nodes only: nothing a user wrote or imported is ever parsed as
// markup (no innerHTML anywhere in the page), so a card named `<img onerror=…>` shows as those characters.

/**
 * h('button', {class: 'primary', onclick: fn, 'aria-label': 'Retry'}, 'Retry')
 * Attributes: `class`, `dataset` (object), `on<event>` (listeners), booleans set or left out, anything
 * else via setAttribute. Children: strings (as text), nodes, arrays, null/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'value') element.value = value;
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `element`. */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A short-lived message at the bottom of the screen (role=status, so screen readers hear it). */
export function toast(message, { kind = 'info', ms = 4000 } = {}) {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const note = h('div', { class: `toast ${kind}` }, message);
  region.append(note);
  setTimeout(() => note.remove(), ms);
}

/** The message to show for a failed request: the daemon's own words, which say what to do. */
export function describeError(error) {
  if (error?.name === 'RpcError') return error.message;
  return error?.message ?? String(error);
}
