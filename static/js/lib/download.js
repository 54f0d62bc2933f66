// Files a console fetches with its token (never put in a link) and hands to the browser: the exports, the
// event list as CSV, the after-action report.

/**
 * Fetch `url` with the bearer `token`.
 * @returns {Promise<{blob: Blob, filename: string}>} the body, and the name the server gives it
 *   (Content-Disposition), else `fallback`
 * @throws {{code?: string, message: string}} the server's error, or words for a server out of reach
 */
export async function fetchFile(url, token, fallback) {
  let response;
  try {
    response = await fetch(url, {headers: {Authorization: `Bearer ${token}`}, cache: 'no-store'});
  } catch {
    throw {message: 'The server cannot be reached. Check the connection and retry.'};
  }
  if (!response.ok) throw await readError(response);
  const match = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
  return {blob: await response.blob(), filename: match ? match[1] : fallback};
}

/** Hand `blob` to the browser as a download named `filename`. */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 120000);
}

/** The error a failed response carries (`{code, message, fields…}`), or words for one that carries none. */
export async function readError(response) {
  try {
    return (await response.json())?.error || {message: `The server answered ${response.status}.`};
  } catch {
    return {message: `The server answered ${response.status}.`};
  }
}
