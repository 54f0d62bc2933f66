// The exercise's log as a file, from the umpire console (docs/exports.md): the whole log as JSON Lines (the
// file another server imports), as CSV for a spreadsheet, or as CSV with names replaced by aliases. Each is
// fetched with the console's token (never put in a link) and handed to the browser as a download.

import {h} from '../lib/dom.js';
import {fetchFile, saveFile} from '../lib/download.js';
import {card, errorLine, showError} from './ui.js';

// Each kind of file has its own name (the server's: <title>-<id>.jsonl, …-pseudonymised.csv; `fallback` when the
// answer carries none), so that one download never overwrites another.
const CHOICES = [
  {label: 'JSON Lines', query: 'format=jsonl', fallback: 'exercise.jsonl',
    hint: 'the whole log; another server can import it'},
  {label: 'CSV', query: 'format=csv', fallback: 'exercise.csv', hint: 'one row per event, for a spreadsheet'},
  {label: 'CSV, pseudonymised', query: 'format=csv&pseudonymise=1', fallback: 'exercise-pseudonymised.csv',
    hint: 'names replaced by Ukraine-1, Assistant-1 …'},
];

function exportUrl(model, query) {
  return `/api/exercises/${encodeURIComponent(model.exerciseId)}/export?${query}`;
}

/** The Export card: one button per kind of file. */
export function exportCard(model) {
  const error = errorLine();
  const buttons = CHOICES.map((choice) => {
    const button = h('button', {type: 'button', class: 'btn btn--small', title: choice.hint}, choice.label);
    button.addEventListener('click', () => download(button, choice));
    return button;
  });

  async function download(button, choice) {
    showError(error, null);
    button.disabled = true;
    try {
      const {blob, filename} = await fetchFile(exportUrl(model, choice.query), model.token, choice.fallback);
      saveFile(blob, filename);
    } catch (err) {
      showError(error, {message: err?.message || 'The export failed: the server cannot be reached.'});
    } finally {
      button.disabled = false;
    }
  }

  const el = card('Export',
    h('p', {class: 'hint'}, 'The exercise’s log as a file, as exercise control saw it: everything so far.'),
    h('div', {class: 'export-choices'}, ...buttons),
    h('ul', {class: 'hint export-hints'}, ...CHOICES.map((c) => h('li', {}, h('strong', {}, c.label), `: ${c.hint}`))),
    error);
  return {el};
}
