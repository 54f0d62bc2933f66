// The after-action report from a console (docs/replay.md, "After-action report"): "Report" opens it as one HTML
// page in a new tab, "PDF" downloads it. Both are fetched with the console's token (never put in a link) on the
// viewer's own perspective: everything for exercise control, its delegation's for a member, the public one for
// observers. Shown to exercise control at any time, to the others once the exercise has ended.

import {h} from '../lib/dom.js';
import {fetchFile, saveFile} from '../lib/download.js';
import {toast} from './ui.js';

function reportUrl(model, format) {
  const state = model.state;
  const own = state?.you?.role === 'umpire' || state?.you?.role === 'assistant' ? 'umpire'
    : state?.you?.delegation ? `d:${state.you.delegation}` : 'public';
  const query = new URLSearchParams({as: own, format});
  return `/api/exercises/${encodeURIComponent(model.exerciseId)}/report?${query}`;
}

async function fetchReport(model, format) {
  try {
    return await fetchFile(reportUrl(model, format), model.token, `report.${format}`);
  } catch (err) {
    throw new Error(err.message || 'The report failed.');
  }
}

/**
 * @param {ExerciseModel} model  the console's live model (its token and the viewer's state)
 * @param {object} o
 * @param {'delegation'|'umpire'|'observer'} o.role
 */
export function reportLinks(model, {role}) {
  const open = h('button', {type: 'button', class: 'btn btn--small rp-link', 'data-testid': 'report-open',
                            title: 'The after-action report, as one page to read, save or print'}, 'Report');
  const pdf = h('button', {type: 'button', class: 'btn btn--small rp-link', 'data-testid': 'report-pdf',
                           title: 'The after-action report as a PDF (A4)'}, 'PDF');
  const el = h('span', {class: 'report-links', hidden: true}, open, pdf);

  open.addEventListener('click', async () => {
    // The tab is opened now, while the click counts as the user's (a tab opened after the wait is blocked).
    const tab = window.open('', '_blank');
    if (tab) {
      tab.opener = null;
      tab.document.title = 'After-action report';
      tab.document.body.textContent = 'Preparing the report…';
    }
    open.disabled = true;
    try {
      const {blob, filename} = await fetchReport(model, 'html');
      const page = new Blob([blob], {type: 'text/html'});
      if (tab && !tab.closed) {
        const url = URL.createObjectURL(page);
        tab.location.replace(url);
        setTimeout(() => URL.revokeObjectURL(url), 120000);
      } else {
        saveFile(page, filename);
      }
    } catch (err) {
      if (tab && !tab.closed) tab.close();
      toast(err.message, {kind: 'error'});
    } finally {
      open.disabled = false;
    }
  });

  pdf.addEventListener('click', async () => {
    pdf.disabled = true;
    pdf.textContent = 'PDF…';
    try {
      const {blob, filename} = await fetchReport(model, 'pdf');
      saveFile(blob, filename);
    } catch (err) {
      toast(err.message, {kind: 'error'});
    } finally {
      pdf.disabled = false;
      pdf.textContent = 'PDF';
    }
  });

  const update = () => {
    const state = model.state;
    if (!state) return;
    el.hidden = !(role === 'umpire' || state.exercise?.ended);
  };
  model.on('state', update);
  update();
  return {el, update};
}
