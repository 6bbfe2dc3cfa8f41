// schakel console: a thin client of the public API. It holds no data of its own: every screen is
// fetched with the user's token, so the gateway's guard, policy and access log apply as for any
// partner system. Text is always inserted as text (never as HTML), and nothing the user types is
// put in the page's address: forms are handled here and sent as API requests only.
import { MESSAGES } from './i18n.js';

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

async function start(messageArea) {
  try {
    state.session = await api('/v1/session');
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
  };
  const results = h('div', { id: 'log-results', 'aria-live': 'polite' });
  const pager = h('div', { id: 'log-more' });
  const detail = h('section', { id: 'entry-detail', 'aria-labelledby': 'entry-title', hidden: true });
  const rows = [];

  const query = (cursor) => {
    const params = new URLSearchParams({ limit: '25' });
    for (const key of ['client', 'partner', 'user', 'purpose', 'decision'])
      if (inputs[key].value.trim()) params.set(key, inputs[key].value.trim());
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
  const client = h('input', { name: 'client', autocomplete: 'off', required: true, maxlength: 100 });
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
    field('report.client', client),
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
              ['col.referredAt', 'col.target', 'col.status', 'col.decidedAt', 'col.contact'].map((k) =>
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
