// schakel console: a thin client of the public API. It holds no data of its own: every screen is
// fetched with the user's token, so the gateway's guard, policy and access log apply as for any
// partner system. Text is always inserted as text (never as HTML), and nothing the user types is
// put in the page's address: forms are handled here and sent as API requests only.
import { MESSAGES } from './i18n.js';
import { mountReceipts } from './receipts.js';

const SIGNALS = [
  'neglect-of-dwelling',
  'hoarding',
  'administration-in-disorder',
  'rent-arrears',
  'debts',
  'landlord-conflict',
  'nuisance',
  'withdrawal',
  'addiction',
  'aggression',
  'psychological-problems',
  'physical-complaints',
  'cognitive-impairment',
];
const ENTRY_FIELDS = [
  'id',
  'occurredAt',
  'requestId',
  'partnerId',
  'userSub',
  'roles',
  'profession',
  'action',
  'resourceType',
  'resourceId',
  'clientRef',
  'custodianPartnerId',
  'purpose',
  'legalBasis',
  'consentId',
  'decision',
  'reason',
  'ruleId',
  'fields',
  'disclosureSha256',
  'override',
  'policyVersion',
  'entryHash',
  'chain',
];
const LANG_KEY = 'schakel.console.lang';

const state = {
  lang: pickLanguage(),
  notice: null,
  session: null,
  tab: null,
};

function pickLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && MESSAGES[saved]) return saved;
  const browser = (navigator.language || 'nl').slice(0, 2);
  return MESSAGES[browser] ? browser : 'nl';
}

function t(key, values = {}) {
  const text = MESSAGES[state.lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** Builds an element; strings become text nodes, so data can never turn into markup. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let fieldCounter = 0;
/** A labelled form control, with an optional hint tied to it for screen readers. */
function field(labelKey, control, hintKey) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hint = hintKey ? h('p', { class: 'hint', id: `${id}-hint` }, t(hintKey)) : null;
  if (hint) control.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'field' }, h('label', { for: id }, t(labelKey)), control, hint);
}

function choices(legendKey, name, options, selected, labelPrefix, type = 'radio') {
  return h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, t(legendKey)),
    options.map((option) =>
      h(
        'label',
        {},
        h('input', {
          type,
          name,
          value: option,
          checked: Array.isArray(selected) ? selected.includes(option) : option === selected,
        }),
        t(`${labelPrefix}${option}`),
      ),
    ),
  );
}

function when(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(state.lang === 'en' ? 'en-GB' : `${state.lang}-BE`, {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(iso));
}

function say(message) {
  document.getElementById('status').textContent = message;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, { method = 'GET', purpose, body, accept = 'application/json', idempotencyKey } = {}) {
  const headers = { accept };
  // The session's synchronizer token: the gateway refuses a state-changing request without it.
  if (method !== 'GET' && state.session?.csrfToken) headers['x-csrf-token'] = state.session.csrfToken;
  if (purpose) headers['x-purpose'] = purpose;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, { detail: t('error.network') });
  }
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok)
    throw new ApiError(response.status, typeof data === 'object' ? data : { detail: String(data).slice(0, 200) });
  return data;
}

/** A problem+json shown as the gateway wrote it (it never contains personal data), with field errors. */
function problemView(error) {
  const problem = error.problem ?? {};
  const details = Array.isArray(problem.errors)
    ? problem.errors.map((e) =>
        h('li', {}, [e.field ?? e.property ?? e.pointer, e.message ?? e.detail].filter(Boolean).join(': ')),
      )
    : [];
  return h(
    'div',
    { role: 'alert' },
    h('strong', {}, `${t('error')} ${error.status || ''}: `),
    error.message,
    details.length ? h('ul', {}, details) : null,
  );
}

/** Runs an action, showing progress and turning any refusal into a readable alert in `where`. */
async function attempt(where, action) {
  where.replaceChildren(h('p', {}, t('loading')));
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signOut(error);
    where.replaceChildren(
      problemView(error instanceof ApiError ? error : new ApiError(0, { detail: String(error.message ?? error) })),
    );
  }
}

function dl(pairs) {
  return h(
    'dl',
    { class: 'entry' },
    pairs.flatMap(([label, value]) => [
      h('dt', {}, label),
      h('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
    ]),
  );
}

function show(value) {
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  if (typeof value === 'boolean') return t(value ? 'yes' : 'no');
  if (value && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(' · ');
  return value;
}

// ---------------------------------------------------------------------------------- sign-in

/**
 * People sign in at their own organisation's IdP (OpenID Connect, handled by the gateway): the
 * browser goes to /console/auth/start with the organisation's opaque id and comes back signed in
 * with a server-side session (an httpOnly cookie this script never sees). Outside production a
 * pasted token can be turned into such a session too.
 */
let signInChoices = null;
let signInRenders = 0;
async function renderSignIn(notice) {
  const render = ++signInRenders;
  // Asked once per page; the page still explains itself if the list cannot be had.
  signInChoices ??= api('/console/auth/organisations').catch(() => ({ organisations: [], devSignIn: false }));
  const choices = await signInChoices;
  // A later render (another language chosen meanwhile) wins.
  if (render !== signInRenders || state.session) return;
  const message = h(
    'div',
    { id: 'signin-message' },
    notice instanceof ApiError ? problemView(notice) : notice ? h('p', { role: 'alert' }, notice) : null,
  );
  const organisation = h(
    'select',
    { id: 'organisation', name: 'organisation', required: true, autocomplete: 'organization' },
    choices.organisations.map((o) => h('option', { value: o.id }, o.name)),
  );
  const oidcForm = choices.organisations.length
    ? h(
        'form',
        {
          id: 'signin-oidc',
          onsubmit: (event) => {
            event.preventDefault();
            // An opaque partner id only: nothing personal goes into the address.
            window.location.assign(`/console/auth/start?organisation=${encodeURIComponent(organisation.value)}`);
          },
        },
        field('signin.organisation', organisation),
        h('button', { type: 'submit' }, t('signin.go')),
      )
    : h('p', {}, t('signin.none'));
  let devForm = null;
  if (choices.devSignIn) {
    const token = h('textarea', {
      id: 'token',
      name: 'token',
      autocomplete: 'off',
      spellcheck: 'false',
      required: true,
      rows: 4,
    });
    devForm = h(
      'section',
      { 'aria-labelledby': 'signin-dev-title', class: 'dev-signin' },
      h('h2', { id: 'signin-dev-title' }, t('signin.dev')),
      h('p', {}, t('signin.devIntro')),
      h(
        'pre',
        {},
        h(
          'code',
          {},
          'npm run -s token -- --partner gateway-operator --role privacy-officer\nnpm run -s token -- --partner demo-housing --role referrer',
        ),
      ),
      h(
        'form',
        {
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              await api('/console/auth/dev', { method: 'POST', body: { token: token.value.trim() } });
              await start(message);
            } catch (error) {
              message.replaceChildren(problemView(error));
            }
          },
        },
        field('signin.token', token),
        h('button', { type: 'submit' }, t('signin.submit')),
      ),
    );
  }
  main(
    h(
      'section',
      { 'aria-labelledby': 'signin-title' },
      h('h1', { id: 'signin-title', tabindex: '-1' }, t('signin.title')),
      h('p', {}, t('signin.intro')),
      oidcForm,
      message,
      devForm,
    ),
  );
}

/**
 * The partners this organisation cooperates with, offered as suggestions wherever a partner id is
 * typed (circle of care, consent recipient, handover, redirect): nobody has to know a slug.
 */
const PARTNER_LIST = 'cooperation-partners';
function renderPartnerList() {
  document.getElementById(PARTNER_LIST)?.remove();
  const partners = state.session?.cooperationPartners ?? [];
  document.body.append(
    h(
      'datalist',
      { id: PARTNER_LIST },
      partners.map((p) => h('option', { value: p.id }, `${p.name} (${p.type})`)),
    ),
  );
}

async function start(messageArea) {
  try {
    state.session = await api('/v1/session');
    renderPartnerList();
    renderApp();
  } catch (error) {
    state.session = null;
    if (messageArea) messageArea.replaceChildren(problemView(error));
    else await renderSignIn(state.notice);
  }
}

/** Ends the session on the server, then goes to the IdP's end-session page where it has one. */
async function signOut(error) {
  if (error) {
    state.session = null;
    renderHeader();
    return renderSignIn(t('signin.ended'));
  }
  let location = '/console';
  try {
    location = (await api('/console/auth/sign-out', { method: 'POST', body: {} })).location;
  } catch {
    // Already over on the server: nothing more to end.
  }
  state.session = null;
  window.location.assign(location);
}

// ------------------------------------------------------------------------------------- frame

function main(content) {
  const el = document.getElementById('main');
  el.replaceChildren(content);
  const heading = el.querySelector('h1, h2');
  heading?.setAttribute('tabindex', '-1');
  heading?.focus();
}

function renderHeader() {
  document.documentElement.lang = state.lang;
  document.getElementById('lang-label').textContent = t('lang');
  document.getElementById('lang').value = state.lang;
  const signout = document.getElementById('signout');
  signout.textContent = t('signout');
  signout.hidden = !state.session;
  document.getElementById('who').textContent = state.session
    ? t('who', {
        sub: state.session.subject,
        partner: state.session.partnerName,
        roles: state.session.roles.join(', '),
      })
    : '';
}

function tabsFor(session) {
  const tabs = [];
  if (session.roles.includes('privacy-officer'))
    tabs.push(['log', renderLog], ['integrity', renderIntegrity], ['reviews', renderReviews], ['report', renderReport]);
  if (session.roles.includes('referrer')) tabs.push(['referral', renderReferralForm], ['referrals', renderReferrals]);
  const careRole = session.roles.includes('coordinator') || session.roles.includes('caseworker');
  if (careRole && TEAM_TYPES.includes(session.partnerType)) {
    tabs.push(['incoming', renderIncoming], ['cases', renderCases]);
    if (session.roles.includes('coordinator')) tabs.push(['queue', renderQueue]);
  } else if (careRole) {
    tabs.push(['ask', renderAsk], ['myRequests', renderMyRequests], ['notifications', renderNotifications]);
  }
  return tabs;
}

function renderApp(tab) {
  renderHeader();
  const tabs = tabsFor(state.session);
  if (tabs.length === 0) return main(h('section', {}, h('h1', {}, 'schakel'), h('p', {}, t('noViews'))));
  state.tab = tab ?? (tabs.some(([id]) => id === state.tab) ? state.tab : tabs[0][0]);
  const view = h('div', { id: 'view' });
  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': 'schakel' },
    tabs.map(([id]) =>
      h(
        'button',
        {
          type: 'button',
          id: `tab-${id}`,
          'aria-current': id === state.tab ? 'page' : null,
          onclick: () => renderApp(id),
        },
        t(`tab.${id}`),
      ),
    ),
  );
  main(h('div', {}, nav, view));
  const [, render] = tabs.find(([id]) => id === state.tab);
  render(view);
  view.querySelector('h1, h2')?.focus();
}

// ------------------------------------------------------------------- privacy officer: the log

function renderLog(view) {
  const inputs = {
    client: h('input', { name: 'client', autocomplete: 'off', maxlength: 100 }),
    partner: h('input', { name: 'partner', autocomplete: 'off', maxlength: 64 }),
    user: h('input', { name: 'user', autocomplete: 'off', maxlength: 200 }),
    purpose: h('input', { name: 'purpose', autocomplete: 'off', maxlength: 64 }),
    decision: h(
      'select',
      { name: 'decision' },
      h('option', { value: '' }, t('any')),
      h('option', { value: 'permit' }, t('decision.permit')),
      h('option', { value: 'deny' }, t('decision.deny')),
    ),
    from: h('input', { name: 'from', type: 'date' }),
    to: h('input', { name: 'to', type: 'date' }),
    resourceType: h(
      'select',
      { name: 'resourceType' },
      h('option', { value: '' }, t('any')),
      [
        'Case',
        'Referral',
        'Disclosure',
        'InformationRequest',
        'Consent',
        'EmergencyAccess',
        'Review',
        'ClientAccessReport',
        'Notification',
        'Partner',
      ].map((type) => h('option', { value: type }, type)),
    ),
    resourceId: h('input', { name: 'resourceId', autocomplete: 'off', maxlength: 200 }),
    override: h('input', { name: 'override', type: 'checkbox' }),
  };
  const results = h('div', { id: 'log-results', 'aria-live': 'polite' });
  const pager = h('div', { id: 'log-more' });
  const detail = h('section', { id: 'entry-detail', 'aria-labelledby': 'entry-title', hidden: true });
  const rows = [];

  const query = (cursor) => {
    const params = new URLSearchParams({ limit: '25' });
    for (const key of ['client', 'partner', 'user', 'purpose', 'decision', 'resourceType', 'resourceId'])
      if (inputs[key].value.trim()) params.set(key, inputs[key].value.trim());
    if (inputs.override.checked) params.set('override', 'true');
    if (inputs.from.value) params.set('from', new Date(`${inputs.from.value}T00:00:00`).toISOString());
    if (inputs.to.value) {
      const end = new Date(`${inputs.to.value}T00:00:00`);
      end.setDate(end.getDate() + 1);
      params.set('to', end.toISOString());
    }
    if (cursor) params.set('cursor', cursor);
    return params;
  };

  const openEntry = (entry, opener) => {
    detail.hidden = false;
    detail.replaceChildren(
      h('h3', { id: 'entry-title', tabindex: '-1' }, t('entry.title')),
      entry.override ? h('p', {}, h('span', { class: 'badge override' }, t('override'))) : null,
      dl(
        ENTRY_FIELDS.filter((key) => key in entry).map((key) => [
          t(`entry.${key}`),
          key === 'decision' ? t(`decision.${entry[key]}`) : show(entry[key]),
        ]),
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            detail.hidden = true;
            opener.focus();
          },
        },
        t('entry.close'),
      ),
    );
    detail.querySelector('h3').focus();
  };

  const render = (page, append) => {
    if (!append) rows.length = 0;
    rows.push(...page.items);
    if (rows.length === 0) {
      pager.replaceChildren();
      return results.replaceChildren(h('p', {}, t('log.none')));
    }
    const table = h(
      'table',
      {},
      h('caption', {}, t('log.caption', { n: rows.length })),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['col.time', 'col.partner', 'col.user', 'col.action', 'col.resource', 'col.purpose', 'col.decision'].map(
            (k) => h('th', { scope: 'col' }, t(k)),
          ),
          h('td', {}),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((entry) => {
          const open = h(
            'button',
            { type: 'button', 'aria-label': `${t('log.open')} ${when(entry.occurredAt)}` },
            t('log.open'),
          );
          open.addEventListener('click', () => openEntry(entry, open));
          return h(
            'tr',
            { class: entry.override ? 'override' : null },
            h('td', {}, when(entry.occurredAt)),
            h('td', {}, entry.partnerId),
            h('td', {}, entry.userSub),
            h('td', {}, entry.action),
            h('td', {}, entry.resourceType),
            h('td', {}, entry.purpose),
            h(
              'td',
              {},
              h('span', { class: `badge ${entry.decision}` }, t(`decision.${entry.decision}`)),
              entry.override ? [' ', h('span', { class: 'badge override' }, t('override'))] : null,
            ),
            h('td', {}, open),
          );
        }),
      ),
    );
    results.replaceChildren(table);
    pager.replaceChildren(
      ...(page.nextCursor
        ? [h('button', { type: 'button', onclick: () => search(page.nextCursor) }, t('log.more'))]
        : []),
    );
  };

  // A next page reports its progress and errors below the table it extends.
  const search = (cursor) =>
    attempt(cursor ? pager : results, async () => {
      const page = await api(`/v1/access-log?${query(cursor)}`, { purpose: 'privacy-audit' });
      detail.hidden = true;
      render(page, Boolean(cursor));
    });

  const form = h(
    'form',
    {
      class: 'grid',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        void search();
      },
    },
    field('log.client', inputs.client),
    field('log.partner', inputs.partner),
    field('log.user', inputs.user),
    field('log.purpose', inputs.purpose),
    field('log.decision', inputs.decision),
    field('log.from', inputs.from),
    field('log.to', inputs.to),
    field('log.resource', inputs.resourceType),
    field('log.resourceId', inputs.resourceId),
    field('log.override', inputs.override),
    h('button', { type: 'submit' }, t('log.search')),
  );
  view.replaceChildren(h('h2', {}, t('log.title')), form, results, pager, detail);
  void search();
}

// ------------------------------------------------------------- privacy officer: chain status

function renderIntegrity(view) {
  const out = h('div', { id: 'integrity-result', 'aria-live': 'polite' });
  const check = () =>
    attempt(out, async () => {
      const result = await api('/v1/access-log/verify', { purpose: 'privacy-audit' });
      const checkpoint = result.lastCheckpoint;
      out.replaceChildren(
        h(
          'p',
          { class: result.ok ? 'good' : 'bad', id: 'chain-verdict' },
          result.ok ? t('integrity.ok') : t('integrity.broken', { at: result.brokenAt }),
        ),
        dl([
          [t('integrity.entries'), String(result.entries)],
          [t('integrity.head'), result.head ? `${result.head.position} · ${result.head.hash}` : '—'],
          [t('integrity.pending'), String(result.pending ?? 0)],
          [t('integrity.checkpoint'), checkpoint ? show(checkpoint) : t('integrity.noCheckpoint')],
          [t('integrity.problem'), result.problem ? show(result.problem) : '—'],
        ]),
      );
    });
  view.replaceChildren(
    h('h2', {}, t('integrity.title')),
    h('button', { type: 'button', onclick: check }, t('integrity.check')),
    out,
  );
  void check();
  mountReceipts(view, { api, h, lang: state.lang, attempt });
}

// --------------------------------------------------------------- privacy officer: reviews

function renderReviews(view) {
  const status = h(
    'select',
    { id: 'review-status' },
    h('option', { value: 'open' }, t('reviews.open')),
    h('option', { value: 'resolved' }, t('reviews.resolved')),
  );
  const list = h('div', { id: 'review-list', 'aria-live': 'polite' });

  const item = (review) => {
    // Known summary fields get a translated label; others (anomaly parameters) keep their name.
    const summaryLabel = (key) => (MESSAGES[state.lang][`summary.${key}`] ? t(`summary.${key}`) : key);
    const summary =
      review.summary && typeof review.summary === 'object'
        ? Object.entries(review.summary).map(([k, v]) => [
            summaryLabel(k),
            k === 'expiresAt' || k === 'at' ? (String(v).includes('T') ? when(v) : v) : show(v),
          ])
        : [];
    const facts = dl([
      [t('reviews.created'), when(review.createdAt)],
      [t('reviews.actor'), review.actorPartnerId],
      [t('reviews.custodian'), review.custodianPartnerId],
      [t('reviews.case'), review.caseId],
      ...summary,
    ]);
    // The log entries behind the item, fetched on demand (GET /v1/reviews/:id, itself logged).
    const entries = h('div', { class: 'review-entries', 'aria-live': 'polite' });
    const showEntries = h(
      'button',
      { type: 'button', class: 'show-entries' },
      t('reviews.showEntries', { n: (review.entryIds ?? []).length }),
    );
    showEntries.addEventListener('click', () =>
      attempt(entries, async () => {
        const full = await api(`/v1/reviews/${encodeURIComponent(review.id)}`, { purpose: 'privacy-audit' });
        entries.replaceChildren(
          h(
            'table',
            {},
            h('caption', {}, t('reviews.entries')),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [
                  'col.time',
                  'col.partner',
                  'col.user',
                  'col.action',
                  'col.resource',
                  'col.purpose',
                  'col.decision',
                ].map((k) => h('th', { scope: 'col' }, t(k))),
              ),
            ),
            h(
              'tbody',
              {},
              full.entries.map((e) =>
                h(
                  'tr',
                  { class: e.override ? 'override' : null },
                  h('td', {}, when(e.occurredAt)),
                  h('td', {}, e.partnerId),
                  h('td', {}, e.user),
                  h('td', {}, e.action),
                  h('td', {}, e.resourceType),
                  h('td', {}, e.purpose),
                  h('td', {}, h('span', { class: `badge ${e.decision}` }, t(`decision.${e.decision}`)), ' ', e.reason),
                ),
              ),
            ),
          ),
        );
      }),
    );
    const article = h(
      'article',
      { class: 'review', 'aria-labelledby': `review-${review.id}` },
      h('h3', { id: `review-${review.id}` }, t(`reviews.kind.${review.kind}`)),
      facts,
      showEntries,
      entries,
    );
    if (review.status === 'resolved') {
      article.append(
        h(
          'p',
          {},
          t('reviews.resolvedBy', {
            by: review.resolvedBy,
            at: when(review.resolvedAt),
            verdict: t(`reviews.${review.verdict}`),
          }),
        ),
        h('p', {}, review.note),
      );
      return article;
    }
    const note = h('textarea', { name: 'note', required: true, minlength: 5, maxlength: 2000 });
    const message = h('div');
    const form = h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const verdict = form.querySelector('input[name="verdict"]:checked')?.value;
          await attempt(message, async () => {
            await api(`/v1/reviews/${encodeURIComponent(review.id)}/resolve`, {
              method: 'POST',
              purpose: 'privacy-audit',
              body: { verdict, note: note.value },
            });
            say(t('reviews.done'));
            await load();
          });
        },
      },
      choices('reviews.verdict', 'verdict', ['justified', 'not-justified'], null, 'reviews.'),
      field('reviews.note', note),
      h('button', { type: 'submit' }, t('reviews.resolve')),
      message,
    );
    form.querySelector('input[name="verdict"]').required = true;
    article.append(form);
    return article;
  };

  const load = () =>
    attempt(list, async () => {
      const page = await api(`/v1/reviews?status=${encodeURIComponent(status.value)}`, { purpose: 'privacy-audit' });
      list.replaceChildren(...(page.items.length ? page.items.map(item) : [h('p', {}, t('reviews.none'))]));
    });
  status.addEventListener('change', () => void load());
  view.replaceChildren(h('h2', {}, t('reviews.title')), field('reviews.status', status), list);
  void load();
}

// -------------------------------------------------------- privacy officer: access report

function renderReport(view) {
  // The clients of the items this office reviews, by an opaque case reference and a date: an
  // officer picks one instead of pasting an internal id.
  const client = h('select', { name: 'client', required: true });
  void api('/v1/reviews', { purpose: 'privacy-audit' })
    .then((page) => {
      const seen = new Map();
      for (const item of page.items)
        if (item.clientId && !seen.has(item.clientId))
          seen.set(
            item.clientId,
            t('report.clientOf', { ref: String(item.caseId ?? item.id).slice(0, 8), date: when(item.createdAt) }),
          );
      client.replaceChildren(
        h('option', { value: '' }, t('choose')),
        ...[...seen].map(([id, label]) => h('option', { value: id }, label)),
      );
    })
    .catch((error) => say(error.message));
  const lang = h(
    'select',
    { name: 'report-lang' },
    ['nl', 'fr', 'en'].map((l) => h('option', { value: l, selected: l === state.lang }, l.toUpperCase())),
  );
  const out = h('div', { id: 'report-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'grid',
      onsubmit: (event) => {
        event.preventDefault();
        void attempt(out, async () => {
          const report = await api(
            `/v1/clients/${encodeURIComponent(client.value.trim())}/access-report?lang=${lang.value}`,
            { purpose: 'subject-access' },
          );
          out.replaceChildren(
            h('h3', {}, report.title),
            report.accesses.length
              ? h(
                  'ol',
                  { lang: report.lang },
                  report.accesses.map((a) =>
                    h(
                      'li',
                      { class: a.override ? 'override' : null },
                      a.override ? [h('span', { class: 'badge override' }, t('override')), ' '] : null,
                      a.sentence,
                    ),
                  ),
                )
              : h('p', {}, t('report.none')),
            report.refusals?.summary ? h('p', {}, report.refusals.summary) : null,
            h('button', { type: 'button', onclick: () => window.print() }, t('report.print')),
          );
        });
      },
    },
    field('report.pick', client, 'report.pickHint'),
    field('report.lang', lang),
    h('button', { type: 'submit' }, t('report.make')),
  );
  view.replaceChildren(h('h2', {}, t('report.title')), form, out);
}

// ------------------------------------------------------------ housing partner: refer a tenant

function renderReferralForm(view) {
  const targets = state.session.referralTargets;
  if (targets.length === 0)
    return view.replaceChildren(h('h2', {}, t('referral.title')), h('p', { role: 'alert' }, t('referral.noTargets')));
  const input = (name, attrs = {}) => h('input', { name, autocomplete: 'off', ...attrs });
  const f = {
    target: h(
      'select',
      { name: 'target', required: true },
      targets.map((p) => h('option', { value: p.id }, `${p.name} (${p.type})`)),
    ),
    givenName: input('givenName', { maxlength: 100 }),
    familyName: input('familyName', { maxlength: 100 }),
    birthDate: input('birthDate', { type: 'date' }),
    phone: input('phone', { type: 'tel', maxlength: 20 }),
    language: input('language', { maxlength: 3, pattern: '[a-z]{2,3}' }),
    street: input('street', { maxlength: 200 }),
    number: input('number', { maxlength: 20 }),
    postalCode: input('postalCode', { maxlength: 4, pattern: '[0-9]{4}', inputmode: 'numeric' }),
    municipality: input('municipality', { maxlength: 100 }),
    description: h('textarea', { name: 'description', maxlength: 4000 }),
    informedNote: h('textarea', { name: 'informedNote', maxlength: 1000 }),
    contactName: input('contactName', { required: true, maxlength: 200 }),
    contactPhone: input('contactPhone', { type: 'tel', maxlength: 20 }),
    contactEmail: input('contactEmail', { type: 'email', maxlength: 200 }),
  };
  const message = h('div', { id: 'referral-message', 'aria-live': 'polite' });
  // One key per filled-in form: a double click or a retry after a network error never makes a second referral.
  let idempotencyKey = crypto.randomUUID();
  const form = h(
    'form',
    {
      id: 'referral-form',
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const text = (el) => el.value.trim() || undefined;
        const address = {
          street: text(f.street),
          number: text(f.number),
          postalCode: text(f.postalCode),
          municipality: text(f.municipality),
        };
        const body = {
          targetPartnerId: f.target.value,
          tenant: {
            givenName: text(f.givenName),
            familyName: text(f.familyName),
            birthDate: text(f.birthDate),
            phone: text(f.phone),
            language: text(f.language),
            address: Object.values(address).some(Boolean) ? address : undefined,
          },
          signals: data.getAll('signals'),
          description: text(f.description),
          evictionStage: data.get('evictionStage'),
          tenantInformed: data.get('tenantInformed'),
          tenantInformedNote: text(f.informedNote),
          urgency: data.get('urgency'),
          contact: { name: text(f.contactName), phone: text(f.contactPhone), email: text(f.contactEmail) },
        };
        await attempt(message, async () => {
          const created = await api('/v1/referrals', { method: 'POST', purpose: 'referral', body, idempotencyKey });
          idempotencyKey = crypto.randomUUID();
          form.reset();
          const withheld = (created.withheld ?? []).map((w) => w.category);
          message.replaceChildren(
            h('p', { role: 'status', class: 'good' }, t('referral.sent')),
            withheld.length ? h('p', {}, t('referral.withheld', { fields: withheld.join(', ') })) : null,
          );
          say(t('referral.sent'));
        });
      },
    },
    h('fieldset', {}, h('legend', {}, t('referral.step.target')), field('referral.target', f.target)),
    h(
      'fieldset',
      {},
      h('legend', {}, t('referral.step.tenant')),
      h(
        'div',
        { class: 'grid' },
        field('referral.givenName', f.givenName),
        field('referral.familyName', f.familyName),
        field('referral.birthDate', f.birthDate),
        field('referral.phone', f.phone),
        field('referral.language', f.language),
        field('referral.street', f.street),
        field('referral.number', f.number),
        field('referral.postalCode', f.postalCode),
        field('referral.municipality', f.municipality),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('referral.step.signals')),
      choices('referral.signals', 'signals', SIGNALS, [], 'signal.', 'checkbox'),
      field('referral.description', f.description, 'referral.descriptionHint'),
      choices('referral.eviction', 'evictionStage', ['none', 'considered', 'started'], 'none', 'eviction.'),
      choices('referral.urgency', 'urgency', ['normal', 'high'], 'normal', 'urgency.'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('referral.step.informed')),
      h('p', { class: 'why', id: 'informed-why' }, t('referral.why')),
      choices('referral.informed', 'tenantInformed', ['yes', 'no', 'refused'], 'yes', 'informed.'),
      field('referral.informedNote', f.informedNote),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('referral.step.contact')),
      h(
        'div',
        { class: 'grid' },
        field('referral.contactName', f.contactName),
        field('referral.contactPhone', f.contactPhone),
        field('referral.contactEmail', f.contactEmail),
      ),
    ),
    h('button', { type: 'submit' }, t('referral.submit')),
    message,
  );
  form
    .querySelectorAll('input[name="tenantInformed"]')
    .forEach((radio) => radio.setAttribute('aria-describedby', 'informed-why'));
  view.replaceChildren(h('h2', {}, t('referral.title')), h('p', {}, t('referral.intro')), form);
}

function renderReferrals(view) {
  const out = h('div', { id: 'referral-list', 'aria-live': 'polite' });
  const names = new Map(state.session.referralTargets.map((p) => [p.id, p.name]));
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/referrals?limit=100', { purpose: 'referral' });
      const mine = page.items.filter((r) => r.role === 'referrer');
      if (mine.length === 0) return out.replaceChildren(h('p', {}, t('referrals.none')));
      // The team's reason for a redirect or decline, in the referrer's language (a closed list).
      const labels = new Map((await reasons()).map((r) => [r.id, r.label[state.lang] ?? r.id]));
      out.replaceChildren(
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['col.referredAt', 'col.target', 'col.status', 'col.reason', 'col.decidedAt', 'col.contact'].map((k) =>
                h('th', { scope: 'col' }, t(k)),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            mine.map((r) =>
              h(
                'tr',
                {},
                h('td', {}, when(r.referredAt)),
                h('td', {}, names.get(r.targetPartnerId) ?? r.targetPartnerId ?? '—'),
                h('td', { class: 'referral-status' }, t(`status.${r.status}`)),
                h('td', { class: 'referral-reason' }, r.reasonCode ? (labels.get(r.reasonCode) ?? r.reasonCode) : '—'),
                h('td', {}, when(r.decidedAt)),
                h(
                  'td',
                  {},
                  r.contactEstablished === null || r.contactEstablished === undefined
                    ? '—'
                    : t(r.contactEstablished ? 'yes' : 'no'),
                ),
              ),
            ),
          ),
        ),
      );
    });
  view.replaceChildren(
    h('h2', {}, t('referrals.title')),
    h('button', { type: 'button', onclick: () => void load() }, t('referrals.refresh')),
    out,
  );
  void load();
}

// ------------------------------------------------------------------- shared bits of the screens

const TEAM_TYPES = ['outreach-team', 'mobile-team', 'housing-first-team'];
const CATEGORIES = [
  'identity',
  'contact',
  'housing',
  'social',
  'health',
  'care-plan',
  'crisis-plan',
  'safety',
  'case-status',
  'referral-context',
  'narrative',
];
const NOTE_CATEGORIES = CATEGORIES.filter((c) => c !== 'referral-context');
const CIRCLE_PURPOSES = ['duo-follow-up', 'care-coordination', 'warm-handover', 'case-consultation'];
const CHANNELS = ['home-visit', 'phone', 'letter', 'e-mail', 'via-network', 'street'];
const OUTCOMES = ['no-answer', 'contact', 'refused'];
const DOMAINS = [
  'housing',
  'finances',
  'administration',
  'health',
  'psychological-wellbeing',
  'social-contacts',
  'daily-activity',
];
const CASE_STATUSES = ['referred', 'outreach', 'intake', 'active', 'waiting-list', 'closed'];
const END_REASONS = [
  'mutual-agreement',
  'linked-to-care',
  'client-stopped',
  'team-stopped',
  'no-contact',
  'eviction',
  'forced-admission',
  'moved',
  'deceased',
  'other',
];
const CAPACITIES = ['court-appointed-administrator', 'guardian', 'trusted-person', 'parent'];
/** What a partner service usually works for, by its kind. */
const SERVICE_PURPOSE = {
  caw: 'duo-follow-up',
  'general-practitioner': 'care-coordination',
  ocmw: 'care-coordination',
};

/** A select whose options are [value, label] pairs, optionally with an empty first choice. */
function select(name, options, { empty = false, required = false, value } = {}) {
  return h(
    'select',
    { name, required },
    empty ? h('option', { value: '' }, t('choose')) : null,
    options.map(([v, label]) => h('option', { value: v, selected: v === value ? true : null }, label)),
  );
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((el) => el.value);
}

/** A form that runs `action(form)` as an API call and says what happened in its own live region. */
function actionForm(legendKey, controls, submitKey, action, props = {}) {
  const out = h('div', { class: 'form-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      ...props,
      onsubmit: (event) => {
        event.preventDefault();
        void attempt(out, async () => {
          const done = await action(form);
          out.replaceChildren(done instanceof Node ? done : h('p', { role: 'status' }, done ?? t('saved')));
        });
      },
    },
    h('fieldset', {}, h('legend', {}, t(legendKey)), controls, h('button', { type: 'submit' }, t(submitKey))),
  );
  return h('div', { class: 'action' }, form, out);
}

/** A record's field name in the user's language; unknown names as they are (never dropped). */
function fieldLabel(key) {
  const label = MESSAGES[state.lang][`field.${key}`];
  return label ?? (key.startsWith('notes:') ? `${t('field.notes')} · ${t(`cat.${key.slice(6)}`)}` : key);
}

/** Values from the network's vocabularies in the user's language (signals, categories, purposes). */
function vocabulary(key, value) {
  // A case's status and a referral's share the key `status`: whichever vocabulary knows the word.
  const prefixes = {
    signals: ['signal.'],
    category: ['cat.'],
    purposes: ['purpose.'],
    channel: ['channel.'],
    outcome: ['outcome.'],
    status: ['caseStatus.', 'status.'],
    from: ['caseStatus.'],
    to: ['caseStatus.'],
    endReason: ['endReason.'],
    evictionStage: ['eviction.'],
    tenantInformed: ['informed.'],
    urgency: ['urgency.'],
  }[key];
  if (!prefixes) return value;
  const word = (v) => {
    const known = typeof v === 'string' && prefixes.find((prefix) => MESSAGES[state.lang][`${prefix}${v}`]);
    return known ? t(`${known}${v}`) : v;
  };
  return Array.isArray(value) ? value.map(word) : word(value);
}

/** Any JSON value shown as text: objects as definition lists, arrays as lists. */
function valueView(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return value.map(String).join(', ') || '—';
    return h(
      'ul',
      {},
      value.map((v) => h('li', {}, valueView(v))),
    );
  }
  if (typeof value === 'object')
    return h(
      'dl',
      { class: 'entry' },
      Object.entries(value).flatMap(([k, v]) => [h('dt', {}, fieldLabel(k)), h('dd', {}, valueView(vocabulary(k, v)))]),
    );
  if (typeof value === 'boolean') return t(value ? 'yes' : 'no');
  return String(value);
}

/** Withheld groups named with their reason (never silently dropped). */
function withheldView(withheld) {
  if (!Array.isArray(withheld) || withheld.length === 0) return null;
  return h(
    'section',
    { class: 'withheld', 'aria-labelledby': 'withheld-title' },
    h('h3', { id: 'withheld-title' }, t('case.withheld')),
    h('p', {}, t('case.withheldIntro')),
    h(
      'ul',
      {},
      withheld.map((w) =>
        h(
          'li',
          {},
          h('strong', {}, t(`cat.${w.category}`)),
          ': ',
          w.reason ?? '',
          Array.isArray(w.missing) && w.missing.length ? ` (${w.missing.join('; ')})` : '',
        ),
      ),
    ),
  );
}

const idempotent = () => ({ idempotencyKey: crypto.randomUUID() });
const purposeOptions = (list) => list.map((p) => [p, t(`purpose.${p}`)]);
const categoryChoices = (name, selected = []) =>
  choices('case.consent.categories', name, CATEGORIES, selected, 'cat.', 'checkbox');

// ------------------------------------------------------------------- outreach team: referrals

let reasonList = null;
function reasons() {
  reasonList ??= api('/v1/referrals/reasons').then((r) => r.items);
  return reasonList;
}

function renderIncoming(view) {
  const out = h('div', { id: 'incoming-list', 'aria-live': 'polite' });
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/referrals?status=submitted&limit=100', { purpose: 'referral' });
      const mine = page.items.filter((r) => r.role === 'receiver');
      if (mine.length === 0) return out.replaceChildren(h('p', {}, t('incoming.none')));
      const all = await reasons();
      out.replaceChildren(...mine.map((r) => incomingItem(r, all, load)));
    });
  view.replaceChildren(h('h2', {}, t('incoming.title')), out);
  void load();
}

function incomingItem(summary, allReasons, reload) {
  const titleId = `ref-${summary.id}`;
  const body = h('div', { class: 'referral-body' });
  const reasonOptions = (decision) =>
    allReasons.filter((r) => r.decisions.includes(decision)).map((r) => [r.id, r.label[state.lang] ?? r.id]);
  const decide = (payload) =>
    api(`/v1/referrals/${summary.id}/decision`, {
      method: 'POST',
      purpose: 'referral',
      body: payload,
      ...idempotent(),
    }).then(() => {
      say(t('incoming.done'));
      void reload();
      return t('incoming.done');
    });
  const note = (form) => form.elements.note.value.trim() || undefined;
  return h(
    'article',
    { class: 'incoming', 'aria-labelledby': titleId },
    h(
      'h3',
      { id: titleId },
      `${t('col.referredAt')} ${when(summary.referredAt)}`,
      summary.urgency ? ` · ${t(`urgency.${summary.urgency}`)}` : '',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'open-referral',
        onclick: () =>
          void attempt(body, async () => {
            const referral = await api(`/v1/referrals/${summary.id}`, { purpose: 'referral' });
            const { withheld, ...shown } = referral;
            body.replaceChildren(valueView(shown), withheldView(withheld) ?? '');
          }),
      },
      t('incoming.open'),
    ),
    body,
    h(
      'div',
      { class: 'decisions' },
      actionForm('incoming.accept', [], 'incoming.accept', () => decide({ decision: 'accept' }), {
        class: 'accept',
      }),
      actionForm(
        'incoming.redirect',
        [
          field(
            'incoming.redirectTo',
            h('input', { name: 'redirectTo', required: true, maxlength: 300, list: PARTNER_LIST }),
          ),
          field('incoming.reason', select('reasonCode', reasonOptions('redirect'), { empty: true })),
          field('incoming.note', h('textarea', { name: 'note', rows: 2, maxlength: 2000 })),
        ],
        'incoming.redirect',
        (form) =>
          decide({
            decision: 'redirect',
            redirectTo: form.elements.redirectTo.value.trim(),
            reasonCode: form.elements.reasonCode.value || undefined,
            reason: note(form),
          }),
        { class: 'redirect' },
      ),
      actionForm(
        'incoming.decline',
        [
          field('incoming.reason', select('reasonCode', reasonOptions('decline'), { required: true, empty: true })),
          field('incoming.note', h('textarea', { name: 'note', rows: 2, maxlength: 2000 })),
        ],
        'incoming.decline',
        (form) => decide({ decision: 'decline', reasonCode: form.elements.reasonCode.value, reason: note(form) }),
        { class: 'decline' },
      ),
    ),
  );
}

// ------------------------------------------------------------------------ outreach team: cases

function renderCases(view) {
  const out = h('div', { id: 'case-list', 'aria-live': 'polite' });
  const detail = h('div', { id: 'case-detail' });
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/cases?limit=100', { purpose: 'care-coordination' });
      if (page.items.length === 0) return out.replaceChildren(h('p', {}, t('cases.none')));
      out.replaceChildren(
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['cases.reference', 'cases.opened', 'col.status', 'cases.open'].map((k) =>
                h('th', { scope: 'col' }, t(k)),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            page.items.map((c) =>
              h(
                'tr',
                {},
                h('td', {}, String(c.id).slice(0, 8)),
                h('td', {}, when(c.openedAt ?? c.createdAt)),
                h('td', {}, c.status ? vocabulary('status', c.status) : '—'),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'open-case',
                      'aria-label': `${t('cases.open')} ${String(c.id).slice(0, 8)}`,
                      onclick: () => renderCase(detail, c.id, 'care-coordination'),
                    },
                    t('cases.open'),
                  ),
                ),
              ),
            ),
          ),
        ),
      );
    });
  view.replaceChildren(h('h2', {}, t('cases.title')), out, detail);
  void load();
}

function renderCase(where, caseId, purpose) {
  const reopen = (p = purpose) => renderCase(where, caseId, p);
  void attempt(where, async () => {
    const record = await api(`/v1/cases/${caseId}`, { purpose });
    const { withheld, ...shown } = record;
    const post = (path, body, p = 'care-coordination', method = 'POST') =>
      api(`/v1/cases/${caseId}${path}`, { method, purpose: p, body, ...idempotent() });
    const today = new Date().toISOString().slice(0, 10);
    const nowLocal = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    where.replaceChildren(
      h(
        'section',
        { 'aria-labelledby': 'case-title', class: 'case' },
        h(
          'h3',
          { id: 'case-title', tabindex: '-1' },
          `${t('case.title')} ${String(caseId).slice(0, 8)} · ${t(`purpose.${purpose}`)}`,
        ),
        withheldView(withheld),
        h('h4', {}, t('case.data')),
        valueView(shown),
        actionForm(
          'case.contact',
          [
            field(
              'case.contact.at',
              h('input', { type: 'datetime-local', name: 'at', required: true, value: nowLocal }),
            ),
            field(
              'case.contact.channel',
              select(
                'channel',
                CHANNELS.map((c) => [c, t(`channel.${c}`)]),
              ),
            ),
            field(
              'case.contact.outcome',
              select(
                'outcome',
                OUTCOMES.map((c) => [c, t(`outcome.${c}`)]),
              ),
            ),
          ],
          'save',
          async (form) => {
            await post(
              '/contact-attempts',
              {
                at: new Date(form.elements.at.value).toISOString(),
                channel: form.elements.channel.value,
                outcome: form.elements.outcome.value,
              },
              'outreach-contact',
            );
            reopen();
          },
          { class: 'contact-attempt' },
        ),
        actionForm(
          'case.plan',
          [
            field(
              'case.plan.domain',
              select(
                'domain',
                DOMAINS.map((d) => [d, t(`domain.${d}`)]),
              ),
            ),
            field('case.plan.goal', h('input', { name: 'goal', required: true, maxlength: 500 })),
            field('case.plan.intervention', h('input', { name: 'intervention', maxlength: 500 })),
            field('case.plan.crisis', h('textarea', { name: 'crisisPlan', rows: 2, maxlength: 4000 })),
          ],
          'save',
          async (form) => {
            const intervention = form.elements.intervention.value.trim();
            const crisis = form.elements.crisisPlan.value.trim();
            await post(
              '/care-plan',
              {
                domains: [
                  {
                    domain: form.elements.domain.value,
                    goals: [form.elements.goal.value.trim()],
                    interventions: intervention ? [intervention] : [],
                  },
                ],
                ...(crisis ? { crisisPlan: crisis } : {}),
              },
              'care-coordination',
              'PUT',
            );
            reopen();
          },
          { class: 'care-plan' },
        ),
        actionForm(
          'case.note',
          [
            field(
              'case.note.category',
              select(
                'category',
                NOTE_CATEGORIES.map((c) => [c, t(`cat.${c}`)]),
              ),
            ),
            field('case.note.text', h('textarea', { name: 'text', rows: 3, required: true, maxlength: 4000 })),
          ],
          'save',
          async (form) => {
            await post('/notes', { category: form.elements.category.value, text: form.elements.text.value });
            reopen();
          },
          { class: 'note' },
        ),
        actionForm(
          'case.circle',
          [
            field(
              'case.circle.partner',
              h('input', { name: 'partnerId', required: true, pattern: '[a-z0-9][a-z0-9-]{0,63}', list: PARTNER_LIST }),
            ),
            choices('case.circle.purposes', 'circlePurposes', CIRCLE_PURPOSES, [], 'purpose.', 'checkbox'),
          ],
          'case.circle.add',
          async (form) => {
            await post('/circle', {
              partnerId: form.elements.partnerId.value.trim(),
              purposes: checked(form, 'circlePurposes'),
            });
            reopen();
          },
          { class: 'circle' },
        ),
        record.clientId ? consentForm(record.clientId, today) : null,
        actionForm(
          'case.glass',
          [
            h('p', {}, t('case.glass.intro')),
            field(
              'case.glass.justification',
              h('textarea', { name: 'justification', rows: 3, required: true, maxlength: 2000 }),
            ),
          ],
          'case.glass.submit',
          async (form) => {
            await post('/emergency-access', { justification: form.elements.justification.value }, 'crisis');
            say(t('case.glass.done'));
            reopen('crisis');
          },
          { class: 'break-glass' },
        ),
        actionForm(
          'case.transition',
          [
            field(
              'case.transition.to',
              select(
                'to',
                CASE_STATUSES.map((s) => [s, t(`caseStatus.${s}`)]),
              ),
            ),
            field(
              'case.transition.endReason',
              select(
                'endReason',
                END_REASONS.map((r) => [r, t(`endReason.${r}`)]),
                { empty: true },
              ),
            ),
          ],
          'save',
          async (form) => {
            const to = form.elements.to.value;
            await post('/transitions', {
              to,
              ...(to === 'closed' && form.elements.endReason.value ? { endReason: form.elements.endReason.value } : {}),
            });
            reopen();
          },
          { class: 'transition' },
        ),
        actionForm(
          'case.handover',
          [
            field(
              'case.handover.to',
              h('input', {
                name: 'toPartnerId',
                required: true,
                pattern: '[a-z0-9][a-z0-9-]{0,63}',
                list: PARTNER_LIST,
              }),
            ),
          ],
          'save',
          async (form) => {
            const moved = await post(
              '/handover',
              { toPartnerId: form.elements.toPartnerId.value.trim() },
              'warm-handover',
            );
            // The case now runs at the new holder; this team reads on during the aftercare period.
            return t('case.handover.done', { to: moved.to, until: when(moved.aftercareUntil) });
          },
          { class: 'handover' },
        ),
      ),
    );
    where.querySelector('#case-title')?.focus();
  });
}

/** A consent with its evidence: the document is hashed here; only the SHA-256 leaves the browser. */
function consentForm(clientId, today) {
  const givenBy = select(
    'givenBy',
    ['client', 'legal-representative'].map((g) => [g, t(`givenBy.${g}`)]),
  );
  return actionForm(
    'case.consent',
    [
      choices('case.circle.purposes', 'consentPurposes', CIRCLE_PURPOSES, [], 'purpose.', 'checkbox'),
      field(
        'case.consent.recipient',
        h('input', { name: 'recipient', required: true, pattern: '[a-z0-9][a-z0-9-]{0,63}', list: PARTNER_LIST }),
      ),
      categoryChoices('consentCategories'),
      field(
        'case.consent.effect',
        select(
          'effect',
          ['permit', 'deny', 'informed-no-objection'].map((e) => [e, t(`effect.${e}`)]),
        ),
      ),
      field('case.consent.givenBy', givenBy),
      field('case.consent.repName', h('input', { name: 'repName', maxlength: 200 })),
      field(
        'case.consent.capacity',
        select(
          'capacity',
          CAPACITIES.map((c) => [c, t(`capacity.${c}`)]),
          { empty: true },
        ),
      ),
      field(
        'case.consent.method',
        select(
          'method',
          ['verbal', 'written', 'digital'].map((m) => [m, t(`method.${m}`)]),
        ),
      ),
      field('case.consent.evidence', h('input', { type: 'file', name: 'evidence' })),
      field('case.consent.evidenceNote', h('input', { name: 'evidenceNote', maxlength: 500 })),
      field('case.consent.validFrom', h('input', { type: 'date', name: 'validFrom', required: true, value: today })),
    ],
    'save',
    async (form) => {
      const file = form.elements.evidence.files?.[0];
      const sha256 = file
        ? [...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))]
            .map((b) => b.toString(16).padStart(2, '0'))
            .join('')
        : undefined;
      const description = form.elements.evidenceNote.value.trim();
      const representative = form.elements.givenBy.value === 'legal-representative';
      await api(`/v1/clients/${clientId}/consents`, {
        method: 'POST',
        purpose: 'care-coordination',
        ...idempotent(),
        body: {
          purposes: checked(form, 'consentPurposes'),
          recipients: [{ partnerId: form.elements.recipient.value.trim() }],
          categories: checked(form, 'consentCategories'),
          effect: form.elements.effect.value,
          givenBy: representative
            ? {
                kind: 'legal-representative',
                name: form.elements.repName.value.trim(),
                capacity: form.elements.capacity.value,
              }
            : { kind: 'client' },
          method: form.elements.method.value,
          ...(sha256 || description
            ? { evidence: { ...(sha256 ? { sha256 } : {}), ...(description ? { description } : {}) } }
            : {}),
          validFrom: form.elements.validFrom.value,
        },
      });
      return t('saved');
    },
    { class: 'consent' },
  );
}

// ------------------------------------------------------------- outreach team: request queue

function renderQueue(view) {
  const out = h('div', { id: 'queue-list', 'aria-live': 'polite' });
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/information-requests?status=pending&limit=100', { purpose: 'care-coordination' });
      const mine = page.items.filter((r) => r.role !== 'requester');
      if (mine.length === 0) return out.replaceChildren(h('p', {}, t('queue.none')));
      out.replaceChildren(
        ...mine.map((r) => {
          const titleId = `q-${r.id}`;
          const decide = (verb) => (form) =>
            api(`/v1/information-requests/${r.id}/${verb}`, {
              method: 'POST',
              purpose: 'care-coordination',
              body: form.elements.note.value.trim() ? { note: form.elements.note.value.trim() } : {},
              ...idempotent(),
            }).then(() => {
              say(t('queue.done'));
              void load();
              return t('queue.done');
            });
          return h(
            'article',
            { class: 'queued', 'aria-labelledby': titleId },
            h(
              'h3',
              { id: titleId },
              `${r.requesterPartnerId ?? '—'} · ${t(`purpose.${r.purpose}`)} · ${when(r.createdAt)}`,
            ),
            dl([
              [t('cases.reference'), String(r.caseId).slice(0, 8)],
              [t('queue.pending'), (r.pendingCategories ?? []).map((c) => t(`cat.${c}`)).join(', ')],
              [
                t('ask.granted'),
                (r.categories ?? [])
                  .filter((c) => !(r.pendingCategories ?? []).includes(c))
                  .map((c) => t(`cat.${c}`))
                  .join(', ') || '—',
              ],
              [t('queue.justification'), r.justification ?? '—'],
            ]),
            actionForm(
              'queue.approve',
              [field('queue.note', h('textarea', { name: 'note', rows: 2, maxlength: 2000 }))],
              'queue.approve',
              decide('approve'),
              { class: 'approve' },
            ),
            actionForm(
              'queue.deny',
              [field('queue.note', h('textarea', { name: 'note', rows: 2, maxlength: 2000 }))],
              'queue.deny',
              decide('deny'),
              { class: 'deny' },
            ),
          );
        }),
      );
    });
  view.replaceChildren(h('h2', {}, t('queue.title')), out);
  void load();
}

// ---------------------------------------------------------------------- partner services

function workPurpose() {
  state.workPurpose ??= SERVICE_PURPOSE[state.session.partnerType] ?? 'care-coordination';
  return state.workPurpose;
}

function purposePicker(onchange) {
  const picker = select('workPurpose', purposeOptions(CIRCLE_PURPOSES), { value: workPurpose() });
  picker.id = 'work-purpose';
  picker.addEventListener('change', () => {
    state.workPurpose = picker.value;
    onchange();
  });
  return field('workPurpose', picker);
}

/** A request's decision in words: what was granted, what was withheld and what would make it possible. */
function decisionView(request, onRead) {
  const parts = [
    dl([
      [t('ask.result'), t(`dec.${request.decision}`)],
      [
        t(request.decision === 'pending' ? 'dec.pending' : 'ask.granted'),
        (request.categories ?? []).map((c) => t(`cat.${c}`)).join(', ') || '—',
      ],
      [t('ask.basis'), request.basis ?? '—'],
      [t('entry.reason'), request.reason ?? '—'],
    ]),
  ];
  const withheld = request.withheld ?? [];
  if (withheld.length)
    parts.push(
      h('h4', {}, t('ask.missing')),
      h(
        'ul',
        { class: 'missing' },
        withheld.map((w) =>
          h('li', {}, h('strong', {}, t(`cat.${w.category}`)), ': ', (w.missing ?? [w.reason]).join('; ')),
        ),
      ),
    );
  if (request.decision === 'permit' && !request.disclosedAt && onRead) {
    const data = h('div', { class: 'disclosure', 'aria-live': 'polite' });
    parts.push(
      h(
        'button',
        {
          type: 'button',
          class: 'read-once',
          onclick: (event) =>
            void attempt(data, async () => {
              const disclosure = await api(`/v1/information-requests/${request.id}/disclosure`, {
                purpose: request.purpose,
              });
              event.target.disabled = true;
              data.replaceChildren(
                valueView(disclosure.data ?? disclosure),
                h('p', { class: 'hint' }, t('ask.readDone')),
              );
            }),
        },
        t('ask.read'),
      ),
      data,
    );
  }
  return h('div', { class: 'decision' }, parts);
}

function renderAsk(view) {
  const out = h('div', { id: 'ask-result', 'aria-live': 'polite' });
  const cases = h('div', { id: 'ask-cases' });
  const load = () =>
    attempt(cases, async () => {
      const page = await api('/v1/cases?limit=100', { purpose: workPurpose() });
      // The cases this organisation may list; a case whose status is not (yet) shared with it is
      // asked for by the reference the team gave (an opaque id).
      const known = h(
        'datalist',
        { id: 'known-cases' },
        page.items.map((c) => h('option', { value: c.id }, when(c.openedAt))),
      );
      cases.replaceChildren(
        page.items.length === 0 ? h('p', {}, t('ask.noCases')) : '',
        known,
        actionForm(
          'ask.title',
          [
            field(
              'ask.case',
              h('input', {
                name: 'caseId',
                required: true,
                list: 'known-cases',
                autocomplete: 'off',
                pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
                value: page.items.length === 1 ? page.items[0].id : undefined,
              }),
              'ask.caseHint',
            ),
            categoryChoices('askCategories'),
            field(
              'ask.justification',
              h('textarea', { name: 'justification', rows: 3, required: true, maxlength: 2000 }),
            ),
          ],
          'ask.submit',
          async (form) => {
            const request = await api('/v1/information-requests', {
              method: 'POST',
              purpose: workPurpose(),
              ...idempotent(),
              body: {
                caseId: form.elements.caseId.value.trim(),
                purpose: workPurpose(),
                categories: checked(form, 'askCategories'),
                justification: form.elements.justification.value,
              },
            });
            return decisionView(request, true);
          },
          { class: 'ask' },
        ),
      );
    });
  view.replaceChildren(h('h2', {}, t('ask.title')), purposePicker(load), cases, out);
  void load();
}

function renderMyRequests(view) {
  const out = h('div', { id: 'my-requests', 'aria-live': 'polite' });
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/information-requests?limit=50', { purpose: workPurpose() });
      const mine = page.items.filter((r) => r.role !== 'holder');
      if (mine.length === 0) return out.replaceChildren(h('p', {}, t('req.none')));
      out.replaceChildren(
        ...mine.map((r) =>
          h(
            'article',
            { class: 'my-request', 'aria-labelledby': `r-${r.id}` },
            h(
              'h3',
              { id: `r-${r.id}` },
              `${when(r.createdAt)} · ${t(`purpose.${r.purpose}`)} · ${t(`dec.${r.decision}`)}`,
            ),
            decisionView(r, true),
          ),
        ),
      );
    });
  view.replaceChildren(
    h('h2', {}, t('req.title')),
    purposePicker(load),
    h('button', { type: 'button', onclick: () => void load() }, t('req.refresh')),
    out,
  );
  void load();
}

function renderNotifications(view) {
  const out = h('div', { id: 'notification-list', 'aria-live': 'polite' });
  const load = () =>
    attempt(out, async () => {
      const page = await api('/v1/notifications?limit=50', { purpose: workPurpose() });
      if (page.items.length === 0) return out.replaceChildren(h('p', {}, t('notif.none')));
      out.replaceChildren(
        h(
          'ul',
          { class: 'notifications' },
          page.items.map((n) =>
            h(
              'li',
              {},
              h('strong', {}, n.kind),
              ` · ${when(n.createdAt)} · `,
              n.resourceType ?? '',
              ' ',
              n.categories ? n.categories.map((c) => t(`cat.${c}`)).join(', ') : '',
            ),
          ),
        ),
      );
    });
  view.replaceChildren(h('h2', {}, t('notif.title')), purposePicker(load), out);
  void load();
}

// -------------------------------------------------------------------------------------- boot

document.getElementById('lang').addEventListener('change', (event) => {
  state.lang = event.target.value;
  localStorage.setItem(LANG_KEY, state.lang);
  renderHeader();
  if (state.session) renderApp(state.tab);
  else renderSignIn();
});
document.getElementById('signout').addEventListener('click', () => void signOut());
// Back from the IdP with an outcome code: show it, and put the console's own address back.
const outcome = new URLSearchParams(window.location.search).get('signin');
if (outcome) {
  if (['failed', 'refused', 'unavailable', 'unknown'].includes(outcome)) state.notice = t(`signin.${outcome}`);
  window.history.replaceState(null, '', '/console');
}
renderHeader();
// A session cookie (or, behind a partner's identity-aware proxy, an Authorization header) may
// already be there: try first.
void start();
