/* JSON to and from the modeler's endpoints (admin/views/modeler.py), with the page's CSRF token. */

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') || '' : '';
}

async function answer(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  return { status: response.status, ok: response.ok, body };
}

export async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  return answer(response);
}

export async function postJson(url, payload) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(payload)
  });
  return answer(response);
}

/**
 * The server's sandbox verdict on one expression, remembered per (kind, source): resolves to
 * {state: 'ok'|'error'|'offline', problems: [{message, line}]}.
 */
export function expressionChecker(url) {
  const seen = new Map();
  const known = new Map();
  function check(kind, source) {
    const key = kind + '\u0000' + source;
    if (!seen.has(key)) {
      const pending = postJson(url, { kind, source }).then(
        (r) => {
          if (r.status === 200 && r.body) {
            const problems = r.body.problems || [];
            const verdict = { state: problems.length ? 'error' : 'ok', problems };
            known.set(key, verdict);
            return verdict;
          }
          seen.delete(key);
          const errors = (r.body && r.body.errors) || [];
          return { state: errors.length ? 'error' : 'offline', problems: errors };
        },
        () => {
          seen.delete(key);
          return { state: 'offline', problems: [] };
        }
      );
      seen.set(key, pending);
    }
    return seen.get(key);
  }
  /** The verdict already given on (kind, source), or null. */
  check.known = (kind, source) => known.get(kind + '\u0000' + source) || null;
  return check;
}
