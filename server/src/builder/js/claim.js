// The claim page (`/claim#ck_draft_…`). The draft token comes from the fragment (browsers never
// send it) or, after a detour through sign-in or sign-up, from this browser's drafts, where it
// waits until the claim succeeds. Shows the draft's preview, then claims it into the workspace
// picked on the page with `POST /api/v1/claims` (the session cookie; same-origin).
import { mountPreview } from './preview.js';
import { claimHref, findByToken, forgetDraft, putDraft, renderDraftList } from './drafts.js';

// The token being claimed, kept across the sign-in detour (the redirect back has no fragment).
const PENDING = 'ck-claim-pending';
const $ = (id) => document.getElementById(id);

function tokenFromPage() {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith('ck_draft_')) {
    localStorage.setItem(PENDING, hash);
    if (!findByToken(hash)) putDraft({ draft_token: hash, name: 'A draft opened from a claim link' });
    return hash;
  }
  return localStorage.getItem(PENDING);
}

function say(id, text, kind) {
  const p = $(id);
  p.textContent = text;
  p.className = kind || '';
}

function waitText(response) {
  const secs = Number(response.headers.get('retry-after'));
  return secs > 0 ? `${secs} s` : 'a moment';
}

/** A clear sentence for every refusal the claim and draft endpoints give. */
function outcome(response, data) {
  const code = data.error && data.error.code;
  switch (true) {
    case response.status === 429:
      return `Too many attempts. Please wait ${waitText(response)} and try again.`;
    case code === 'already_claimed':
      return 'This form was already claimed into a workspace. Sign in as its owner to find it in the dashboard.';
    case code === 'draft_expired':
      return 'This draft has expired: unclaimed drafts are deleted after a week. Build it again in the builder.';
    case code === 'invalid_draft_token':
      return 'This claim link is not valid: no draft matches it. Check that the whole link was copied.';
    case response.status === 401:
      return 'Your session has ended. Sign in again to claim this form.';
    case response.status === 403:
      return 'You can only claim into a workspace you own.';
    default:
      return (data.error && data.error.message) || `The server answered ${response.status}.`;
  }
}

async function call(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body && JSON.stringify(body), credentials: 'same-origin' });
  return { response, data: await response.json().catch(() => ({})) };
}

function done(token) {
  localStorage.removeItem(PENDING);
  forgetDraft(token);
  list();
}

async function start() {
  list();
  const token = tokenFromPage();
  if (!token) {
    say('claim-status', 'No draft to claim here. Open the claim link the builder gave you, or pick one of your drafts below.');
    return;
  }
  let result;
  try {
    result = await call('GET', '/api/v1/draft', token);
  } catch (e) {
    say('claim-status', `Could not reach the server (${e.message}). Reload to try again.`, 'error');
    return;
  }
  const { response, data } = result;
  if (!response.ok) {
    say('claim-status', outcome(response, data), 'error');
    if ([404, 409, 410].includes(response.status)) done(token);
    return;
  }
  say('claim-status', `“${data.name || 'Untitled form'}”, a draft until ${new Date(data.expires_at).toLocaleString()}.`);
  $('claim-preview-card').hidden = false;
  mountPreview($('preview')).show(data.config, 'auto');
  const signIn = $('sign-in');
  if (signIn) signIn.hidden = false;
  const form = $('claim-form');
  if (!form) return;
  form.hidden = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    say('claim-outcome', 'Claiming…');
    try {
      const { response: r, data: d } = await call('POST', '/api/v1/claims', null, {
        draft_token: token,
        workspace_id: $('workspace').value,
      });
      if (r.ok) {
        done(token);
        form.hidden = true;
        const name = $('workspace').selectedOptions[0].textContent;
        say('claim-outcome', `Claimed: the form now belongs to ${name}. Its snippet keeps working unchanged.`, 'ok');
        const link = document.createElement('a');
        link.href = `/app#instance-${d.instance_id}`;
        link.textContent = 'Open it in the dashboard';
        link.id = 'dashboard-link';
        $('claim-outcome').after(link);
        link.focus();
      } else {
        say('claim-outcome', outcome(r, d), 'error');
        if ([404, 409, 410].includes(r.status)) done(token);
      }
    } catch (e) {
      say('claim-outcome', `Could not reach the server (${e.message}). Try again.`, 'error');
    } finally {
      button.disabled = false;
    }
  });
}

function list() {
  renderDraftList($('draft-list'), (d) => {
    const a = document.createElement('a');
    a.href = claimHref(d);
    a.textContent = 'Claim';
    a.setAttribute('aria-label', `Claim ${d.name || 'untitled form'}`);
    return [a];
  });
}

// Another draft's claim link on this page: start over with that draft.
window.addEventListener('hashchange', () => location.reload());
start();
