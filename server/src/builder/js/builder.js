// The public builder page (`/`): the editor, the live preview, publishing (a new draft, then
// updates of that same draft with its draft token), the snippet and its copy button, links to the
// demo sites and to the claim page, and the creator's drafts in this browser.
import { mountEditor } from './editor.js';
import { mountPreview } from './preview.js';
import { claimHref, findDraft, forgetDraft, putDraft, renderDraftList } from './drafts.js';

// What is being edited survives a reload: {config, theme, draft (id of the published draft)}.
const WORK = 'ck-builder-work';

const STARTER = {
  title: 'Contact us',
  description: 'We answer within one working day.',
  fields: [
    { type: 'text', name: 'name', label: 'Your name', required: true, autocomplete: 'name' },
    { type: 'email', name: 'email', label: 'Email', required: true, autocomplete: 'email' },
    { type: 'textarea', name: 'message', label: 'Message', required: true },
  ],
  submit_label: 'Send',
};

const $ = (id) => document.getElementById(id);

function loadWork() {
  try {
    const work = JSON.parse(localStorage.getItem(WORK) || 'null');
    if (work && work.config && Array.isArray(work.config.fields)) return work;
  } catch { /* a damaged entry starts over */ }
  return { config: STARTER, theme: 'auto', draft: null };
}

let work = loadWork();
let lastError;
const preview = mountPreview($('preview'));
const editor = mountEditor($('editor'), work.config, (config, error) => {
  work.config = config;
  lastError = error;
  saveWork();
  // An invalid config is not previewed: the widget would refuse it too. The error is at its field.
  if (!error) preview.show(config, work.theme);
  markDirty();
});

for (const radio of document.querySelectorAll('input[name=theme]')) {
  radio.checked = radio.value === work.theme;
  radio.addEventListener('change', () => {
    work.theme = radio.value;
    saveWork();
    if (!lastError) preview.show(editor.config(), work.theme);
    showPublished();
  });
}
for (const radio of document.querySelectorAll('input[name=width]')) {
  radio.addEventListener('change', () => {
    $('preview').classList.toggle('phone', radio.value === 'phone' && radio.checked);
  });
}

function saveWork() {
  localStorage.setItem(WORK, JSON.stringify(work));
}

function current() {
  return work.draft ? findDraft(work.draft) : null;
}

/** "Publish" or "Update draft", and whether there is anything to publish. */
function markDirty() {
  const draft = current();
  const dirty = !draft || JSON.stringify(draft.config) !== JSON.stringify(work.config);
  $('publish-button').textContent = draft ? 'Update draft' : 'Publish';
  if (draft) {
    $('publish-hint').textContent = dirty
      ? 'You have changes the published form does not show yet.'
      : 'The published form is up to date.';
  }
}

function status(text, isError) {
  const p = $('publish-status');
  p.textContent = text;
  p.className = isError ? 'error' : 'ok';
}

/** The snippet with the chosen theme (the server's snippet has none: `auto`). */
function snippetOf(draft) {
  if (work.theme === 'auto') return draft.snippet;
  return draft.snippet.replace('"></div>', `" data-ck-theme="${work.theme}"></div>`);
}

function showPublished() {
  const draft = current();
  $('published').hidden = !draft;
  if (!draft) return;
  $('snippet').value = snippetOf(draft);
  $('claim-link').href = claimHref(draft);
  const query = `?id=${encodeURIComponent(draft.id)}&token=${encodeURIComponent(draft.embed_token)}&theme=${work.theme}`;
  for (const a of document.querySelectorAll('#site-links a')) {
    a.href = `${new URL(a.href).origin}/${a.dataset.site}/${query}`;
  }
}

async function api(method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: JSON.stringify(body), credentials: 'omit' });
  const data = await response.json().catch(() => ({}));
  return { response, data };
}

function explain(response, data) {
  if (response.status === 429) {
    return `Too many requests: try again in ${response.headers.get('retry-after') || 'a few'} s.`;
  }
  return (data.error && data.error.message) || `The server answered ${response.status}.`;
}

$('publish-button').addEventListener('click', async () => {
  await editor.ready().catch(() => {});
  if (lastError) {
    status('Fix the highlighted problem first.', true);
    editor.focusError();
    return;
  }
  const config = editor.config();
  const name = config.title || 'Untitled form';
  const draft = current();
  $('publish-button').disabled = true;
  status(draft ? 'Updating…' : 'Publishing…');
  try {
    if (draft) {
      const { response, data } = await api('PUT', '/api/v1/draft', { config, name }, draft.draft_token);
      if (response.ok) {
        putDraft({ ...draft, config, name, expires_at: data.expires_at });
        status('Updated. Pages with the snippet show the new version on their next load.');
      } else if ([404, 409, 410].includes(response.status)) {
        // Claimed, expired or unknown: this browser cannot edit it any more.
        forgetDraft(draft.id);
        work.draft = null;
        status(`${explain(response, data)} Publish again to create a new form.`, true);
      } else {
        status(explain(response, data), true);
      }
    } else {
      const { response, data } = await api('POST', '/api/v1/drafts', { type: 'form', config, name });
      if (response.ok) {
        putDraft({
          id: data.instance_id,
          draft_token: data.draft_token,
          embed_token: data.embed_token,
          snippet: data.snippet,
          expires_at: data.expires_at,
          name,
          config,
          theme: work.theme,
        });
        work.draft = data.instance_id;
        status('Published. Paste the snippet into your site.');
      } else {
        status(explain(response, data), true);
      }
    }
  } catch (e) {
    status(`Could not reach the server (${e.message}). Your form is kept here; try again.`, true);
  } finally {
    $('publish-button').disabled = false;
    saveWork();
    markDirty();
    showPublished();
    drafts();
  }
});

$('new-button').addEventListener('click', () => {
  work = { config: STARTER, theme: work.theme, draft: null };
  saveWork();
  editor.set(STARTER);
  status('');
  showPublished();
  $('editor').querySelector('input, select, textarea').focus();
});

$('copy-button').addEventListener('click', async () => {
  const text = $('snippet').value;
  try {
    await navigator.clipboard.writeText(text);
    $('copy-status').textContent = 'Copied.';
  } catch {
    // No clipboard permission (an old browser, an insecure origin): select it for Ctrl+C.
    $('snippet').focus();
    $('snippet').select();
    $('copy-status').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }
});

function drafts() {
  renderDraftList($('draft-list'), (d) => {
    const claim = document.createElement('a');
    claim.href = claimHref(d);
    claim.textContent = 'Claim';
    claim.setAttribute('aria-label', `Claim ${d.name || 'untitled form'}`);
    // Known only by a claim link opened here: nothing to edit.
    if (!d.id || !d.config) return [claim];
    const edit = document.createElement('button');
    edit.type = 'button';
    edit.className = 'quiet';
    edit.textContent = d.id === work.draft ? 'Editing' : 'Edit';
    edit.disabled = d.id === work.draft;
    edit.setAttribute('aria-label', `${edit.textContent}: ${d.name || 'untitled form'}`);
    edit.addEventListener('click', () => {
      work = { config: d.config, theme: d.theme || 'auto', draft: d.id };
      saveWork();
      editor.set(d.config);
      for (const radio of document.querySelectorAll('input[name=theme]')) radio.checked = radio.value === work.theme;
      showPublished();
      drafts();
      $('editor').querySelector('input, select, textarea').focus();
    });
    return [edit, claim];
  });
}

if (work.draft && !findDraft(work.draft)) work.draft = null;
markDirty();
showPublished();
drafts();
// Other tabs (the claim page) change the list: keep this one current.
window.addEventListener('storage', () => {
  if (work.draft && !findDraft(work.draft)) work.draft = null;
  showPublished();
  drafts();
  markDirty();
});
