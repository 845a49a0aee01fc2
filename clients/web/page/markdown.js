// A small Markdown reader for story text that builds DOM nodes through `h` and text nodes, never markup:
// whatever a model or a player wrote (`<img onerror=…>` included) can only ever become visible characters.
// It knows what stories use — paragraphs, line breaks, *emphasis*, **strong**, `code`, fenced code,
// lists and > quotes — and leaves everything else as the text it is.
import { h } from './dom.js';

/** Story text → an array of block elements (paragraphs, lists, quotes, code). */
export function renderMarkdown(text) {
  const lines = String(text).replace(/\r\n?/g, '\n').split('\n');
  return renderBlocks(lines);
}

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const FENCE = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)\s*$/;

function renderBlocks(lines) {
  const blocks = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (line.trim() === '') { index += 1; continue; }

    const fence = line.match(FENCE);
    if (fence) {
      const closing = fence[1];
      const body = [];
      index += 1;
      while (index < lines.length && !lines[index].trim().startsWith(closing)) body.push(lines[index++]);
      index += 1; // the closing fence (or the end of an unclosed block)
      blocks.push(h('pre', {}, h('code', {}, body.join('\n'))));
      continue;
    }

    if (QUOTE.test(line)) {
      const quoted = [];
      while (index < lines.length && QUOTE.test(lines[index])) quoted.push(lines[index++].match(QUOTE)[1]);
      blocks.push(h('blockquote', {}, renderBlocks(quoted)));
      continue;
    }

    if (BULLET.test(line) || NUMBERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? NUMBERED : BULLET;
      const items = [];
      while (index < lines.length && pattern.test(lines[index])) {
        const match = lines[index++].match(pattern);
        const itemLines = [ordered ? match[2] : match[1]];
        // Indented lines right after an item continue it.
        while (index < lines.length && /^\s{2,}\S/.test(lines[index]) && !pattern.test(lines[index])) {
          itemLines.push(lines[index++].trim());
        }
        items.push(h('li', {}, inlineWithBreaks(itemLines)));
      }
      const start = ordered ? Number(line.match(NUMBERED)[1]) : null;
      blocks.push(h(ordered ? 'ol' : 'ul', start && start !== 1 ? { start } : {}, items));
      continue;
    }

    const paragraph = [];
    while (index < lines.length && lines[index].trim() !== '' && !startsBlock(lines[index])) {
      paragraph.push(lines[index++]);
    }
    if (paragraph.length === 0) paragraph.push(lines[index++]);
    blocks.push(h('p', {}, inlineWithBreaks(paragraph)));
  }
  return blocks;
}

function startsBlock(line) {
  return FENCE.test(line) || QUOTE.test(line) || BULLET.test(line) || NUMBERED.test(line);
}

/** Lines of one paragraph keep their line breaks (dialogue and verse rely on them). */
function inlineWithBreaks(lines) {
  const nodes = [];
  lines.forEach((line, position) => {
    if (position > 0) nodes.push(h('br'));
    nodes.push(...renderInline(line));
  });
  return nodes;
}

// Earliest of: a backslash escape, `code`, **strong** / __strong__, *em* / _em_ (an underscore only at
// word edges, so snake_case and file_names stay as written).
const INLINE = /\\([\\`*_~>#[\]()-])|(`+)([^`]|[^`][\s\S]*?[^`])\2(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|(?<![\p{L}\p{N}])__(?=\S)([\s\S]*?\S)__(?![\p{L}\p{N}])|\*(?=[^\s*])([\s\S]*?[^\s*])\*|(?<![\p{L}\p{N}])_(?=[^\s_])([\s\S]*?[^\s_])_(?![\p{L}\p{N}])/u;

/** One line of text → text nodes, <em>, <strong> and <code>. */
export function renderInline(text) {
  const nodes = [];
  let rest = text;
  while (rest.length > 0) {
    const match = rest.match(INLINE);
    if (!match) { nodes.push(document.createTextNode(rest)); break; }
    if (match.index > 0) nodes.push(document.createTextNode(rest.slice(0, match.index)));
    const [whole, escaped, , code, strong, strongUnderscore, em, emUnderscore] = match;
    if (escaped !== undefined) nodes.push(document.createTextNode(escaped));
    else if (code !== undefined) nodes.push(h('code', {}, code));
    else if (strong !== undefined || strongUnderscore !== undefined) nodes.push(h('strong', {}, renderInline(strong ?? strongUnderscore)));
    else nodes.push(h('em', {}, renderInline(em ?? emUnderscore)));
    rest = rest.slice(match.index + whole.length);
  }
  return nodes;
}
