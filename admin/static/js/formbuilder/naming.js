/* Field names: a valid identifier (conditions and scripts use them as variables), unique among its
   siblings, proposed from the title (pinyin initials by the server, else a simple rule). */

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Python's keywords: a gateway condition names fields as variables
const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global ' +
    'if import in is lambda nonlocal not or pass raise return try while with yield').split(' ')
);

/** null when `name` may be used among `taken`, else the problem's string key. */
export function nameProblem(name, taken) {
  if (!NAME.test(name)) {
    return 'name.invalid';
  }
  if (KEYWORDS.has(name)) {
    return 'name.keyword';
  }
  if (taken.includes(name)) {
    return 'name.taken';
  }
  return null;
}

export function uniqueName(base, taken) {
  let name = NAME.test(base) && !KEYWORDS.has(base) ? base : 'field';
  if (!taken.includes(name)) {
    return name;
  }
  for (let i = 2; ; i++) {
    const next = (name + '_' + i).slice(-64);
    if (!taken.includes(next)) {
      return next;
    }
  }
}

/** The simple rule, when the server cannot be asked: Latin words in lower case joined by "_". */
export function ruleName(title) {
  const words = (title || '').match(/[A-Za-z0-9]+/g) || [];
  const name = words.join('_').toLowerCase().slice(0, 40);
  return /^[a-z_]/.test(name) ? name : name ? 'f_' + name : 'field';
}

const cache = new Map();

/** A name for a title: the server's pinyin initials ("申请人姓名" → "sqrxm"), else ruleName. */
export async function proposeName(url, title) {
  const key = (title || '').trim();
  if (!key) {
    return 'field';
  }
  if (cache.has(key)) {
    return cache.get(key);
  }
  let name = ruleName(key);
  try {
    const response = await fetch(url + '?title=' + encodeURIComponent(key), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (response.ok) {
      const body = await response.json();
      if (body && typeof body.name === 'string' && NAME.test(body.name)) {
        name = body.name;
      }
    }
  } catch (e) {
    // offline or refused: the rule's name
  }
  cache.set(key, name);
  return name;
}
