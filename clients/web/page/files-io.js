// Moving files between the user's disk and the daemon: exports become downloads, picked or dropped files
// are sent as their text with their name (the daemon detects the format from both).
import { h } from './dom.js';

/** Saves `data` (an export's JSON value) as a download named `fileName`. */
export function downloadJson(fileName, data) {
  const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: fileName, class: 'visually-hidden' });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob when the download starts, which is after this task ends.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** A file name from a scenario's name: what the file system accepts, recognisably the same name. */
export function fileNameFor(name, suffix) {
  const base = String(name).replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').replace(/\s+/g, ' ').trim() || 'scenario';
  return `${base.slice(0, 120)}${suffix}.json`;
}

/** Reads each file's text as it is on disk (no re-encoding of its JSON), with its name. */
export async function readFiles(fileList) {
  const files = [];
  for (const file of fileList) files.push({ name: file.name, text: await file.text() });
  return files;
}

/** The lines that tell a user what an import kept, changed and left out. */
export function describeImport(result, fileName, what) {
  const lines = [];
  // scenario/import does not say which format it read; cards/import does.
  lines.push(`${fileName}: ${what}${result.format ? ` (read as ${result.format})` : ''}.`);
  for (const warning of result.warnings ?? []) lines.push(`Entry ${warning.index}: ${warning.message}`);
  for (const skipped of result.skipped ?? []) lines.push(`Skipped entry ${skipped.index}: ${skipped.reason}`);
  return lines;
}
