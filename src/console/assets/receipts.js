// Receipts in the integrity tab: the latest signed tree head, and a pasted receipt verified in
// this browser — Merkle proof (RFC 9162 §2.1.3.2) and Ed25519 signature with WebCrypto — against
// the key set fetched once from /.well-known/jwks.json. The proof is never sent to the server.

const WORDS = {
  nl: {
    title: 'Ontvangstbewijzen',
    head: 'Laatste ondertekende boomkop',
    size: 'Regels in de boom',
    root: 'Wortelhash',
    signed: 'Ondertekend op',
    key: 'Sleutel',
    headValid: 'Handtekening geldig voor de gepubliceerde sleutel.',
    headInvalid: 'Handtekening NIET geldig voor de gepubliceerde sleutels.',
    paste: 'Plak een ontvangstbewijs (JSON)',
    verify: 'Ontvangstbewijs controleren',
    ok: 'Geldig: deze toegang staat in de ondertekende boom van {size} regels (positie {position}).',
    bad: 'Ongeldig: {why}.',
    notJson: 'dit is geen JSON',
    noEd25519: 'deze browser kent Ed25519 niet in WebCrypto',
  },
  fr: {
    title: 'Reçus',
    head: "Dernière tête d'arbre signée",
    size: "Entrées dans l'arbre",
    root: 'Hash racine',
    signed: 'Signée le',
    key: 'Clé',
    headValid: 'Signature valide pour la clé publiée.',
    headInvalid: 'Signature NON valide pour les clés publiées.',
    paste: 'Collez un reçu (JSON)',
    verify: 'Vérifier le reçu',
    ok: "Valide : cet accès figure dans l'arbre signé de {size} entrées (position {position}).",
    bad: 'Non valide : {why}.',
    notJson: "ce n'est pas du JSON",
    noEd25519: 'ce navigateur ne connaît pas Ed25519 dans WebCrypto',
  },
  en: {
    title: 'Receipts',
    head: 'Latest signed tree head',
    size: 'Entries in the tree',
    root: 'Root hash',
    signed: 'Signed at',
    key: 'Key',
    headValid: 'Signature valid for the published key.',
    headInvalid: 'Signature NOT valid for the published keys.',
    paste: 'Paste a receipt (JSON)',
    verify: 'Verify receipt',
    ok: 'Valid: this access is in the signed tree of {size} entries (position {position}).',
    bad: 'Not valid: {why}.',
    notJson: 'this is not JSON',
    noEd25519: 'this browser has no Ed25519 in WebCrypto',
  },
};

const encoder = new TextEncoder();
let jwksOnce;

/** The published keys, fetched once per page (retired keys stay published after a rotation). */
function publishedKeys() {
  jwksOnce ??= fetch('/.well-known/jwks.json', { cache: 'no-store', credentials: 'omit' })
    .then((response) => response.json())
    .then((body) => (Array.isArray(body.keys) ? body.keys : []));
  return jwksOnce;
}

const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (text) =>
  typeof text === 'string' && /^[0-9a-f]{64}$/.test(text)
    ? Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16))
    : null;
const base64url = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

async function sha256(...parts) {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}
const node = (left, right) => sha256(Uint8Array.of(1), left, right);

/** RFC 9162 §2.1.3.2. */
async function verifyInclusion(leafIndex, treeSize, leaf, path, root) {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize)
    return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && hex(r) === hex(root);
}

/** An Ed25519 compact JWS of the given type, checked against the published keys; its payload, or null. */
async function verifyJws(jws, type) {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) return null;
  let header;
  let payload;
  try {
    header = JSON.parse(new TextDecoder().decode(base64url(parts[0])));
    payload = JSON.parse(new TextDecoder().decode(base64url(parts[1])));
  } catch {
    return null;
  }
  if (header.typ !== type || header.alg !== 'EdDSA') return null;
  const keys = (await publishedKeys()).filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519');
  keys.sort((a, b) => Number(b.kid === header.kid) - Number(a.kid === header.kid));
  for (const jwk of keys) {
    let key;
    try {
      key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, [
        'verify',
      ]);
    } catch {
      throw new Error('no-ed25519');
    }
    const signed = encoder.encode(`${parts[0]}.${parts[1]}`);
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, base64url(parts[2]), signed)) return payload;
  }
  return null;
}

/** The entry as its hash covers it: the receipt's entry without `entryHash`, keys sorted. */
function canonical(entry) {
  const sorted = {};
  for (const key of Object.keys(entry).sort()) if (key !== 'entryHash') sorted[key] = entry[key];
  return JSON.stringify(sorted);
}

/** Verifies a receipt as `npm run log:verify -- --receipt` does; returns { ok, why, position, size }. */
export async function verifyReceipt(receipt) {
  const { entry, proof } = receipt ?? {};
  if (!entry || typeof entry !== 'object' || !proof || typeof proof !== 'object')
    return { ok: false, why: 'not a receipt' };
  const entryHash = hex(await sha256(encoder.encode(canonical(entry))));
  if (entry.entryHash !== undefined && entry.entryHash !== entryHash)
    return { ok: false, why: 'the entry was changed: it no longer hashes to its entry hash' };
  const leaf = await sha256(Uint8Array.of(0), fromHex(entryHash));
  if (hex(leaf) !== proof.leafHash) return { ok: false, why: 'the entry does not hash to the proven leaf' };
  const path = Array.isArray(proof.auditPath) ? proof.auditPath.map(fromHex) : [null];
  const root = fromHex(proof.rootHash);
  if (path.includes(null) || !root) return { ok: false, why: 'the proof holds a malformed hash' };
  if (!(await verifyInclusion(proof.leafIndex, proof.treeSize, leaf, path, root)))
    return { ok: false, why: 'the audit path does not lead to the root' };
  const head = await verifyJws(proof.treeHead, 'schakel-tree-head+jws');
  if (!head) return { ok: false, why: 'the tree head is not signed by a published key' };
  if (head.treeSize !== proof.treeSize || head.rootHash !== proof.rootHash)
    return { ok: false, why: 'the signed tree head names another tree than the proof' };
  return { ok: true, why: null, position: proof.leafIndex + 1, size: proof.treeSize };
}

/**
 * Mounts the receipts panel under the integrity tab. `api` is the console's fetch helper (the
 * user's token; the tree head fetch is logged like any other), `h` its element builder.
 */
export function mountReceipts(view, { api, h, lang, attempt }) {
  const words = WORDS[lang] ?? WORDS.en;
  const say = (text, values = {}) => text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
  const headOut = h('div', { id: 'tree-head', 'aria-live': 'polite' });
  const verdict = h('p', { id: 'receipt-verdict', 'aria-live': 'polite' });
  const input = h('textarea', { id: 'receipt', rows: '6', cols: '80', spellcheck: 'false', autocomplete: 'off' });
  const row = (label, value) => [h('dt', {}, label), h('dd', {}, value)];
  void attempt(headOut, async () => {
    const head = await api('/v1/access-log/tree-head', { purpose: 'privacy-audit' });
    let valid = false;
    try {
      const payload = await verifyJws(head.treeHead, 'schakel-tree-head+jws');
      valid = payload !== null && payload.treeSize === head.treeSize && payload.rootHash === head.rootHash;
    } catch {
      valid = false;
    }
    headOut.replaceChildren(
      h(
        'dl',
        { class: 'entry' },
        ...row(words.size, String(head.treeSize)),
        ...row(words.root, head.rootHash),
        ...row(words.signed, head.signedAt),
        ...row(words.key, head.kid),
      ),
      h('p', { class: valid ? 'good' : 'bad', id: 'tree-head-verdict' }, valid ? words.headValid : words.headInvalid),
    );
  });
  const check = async () => {
    let receipt;
    try {
      receipt = JSON.parse(input.value);
    } catch {
      verdict.className = 'bad';
      verdict.textContent = say(words.bad, { why: words.notJson });
      return;
    }
    let result;
    try {
      result = await verifyReceipt(receipt);
    } catch (error) {
      result = { ok: false, why: error.message === 'no-ed25519' ? words.noEd25519 : String(error.message ?? error) };
    }
    verdict.className = result.ok ? 'good' : 'bad';
    verdict.textContent = result.ok
      ? say(words.ok, { size: result.size, position: result.position })
      : say(words.bad, { why: result.why });
  };
  view.append(
    h('h3', {}, words.title),
    h('h4', {}, words.head),
    headOut,
    h('div', { class: 'field' }, h('label', { for: 'receipt' }, words.paste), input),
    h('button', { type: 'button', id: 'verify-receipt', onclick: () => void check() }, words.verify),
    verdict,
  );
}
