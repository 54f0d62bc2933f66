// Chart.js (static/vendor/chart.umd.min.js, vendored: no CDN) loaded on demand, once per page: a <script src>
// from the server itself, which the page's CSP allows ('self'); the UMD build sets window.Chart.

const SRC = '/static/vendor/chart.umd.min.js';
let loading = null;

/** Resolves to the Chart constructor. */
export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = SRC;
      script.async = true;
      script.addEventListener('load', () => (window.Chart ? resolve(window.Chart) : reject(new Error('Chart.js did not load.'))));
      script.addEventListener('error', () => {
        loading = null;
        script.remove();
        reject(new Error('The charts could not be loaded. Reload the page to try again.'));
      });
      document.head.appendChild(script);
    });
  }
  return loading;
}
