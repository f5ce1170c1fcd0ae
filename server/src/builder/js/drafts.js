// The creator's drafts, kept in this browser's localStorage until claimed, so signing up and
// confirming an address in between loses nothing. Each entry: {id, draft_token, embed_token,
// snippet, name, config, theme, expires_at}. The draft token is a secret: it stays here and in the
// claim link's fragment, never in a URL the server sees.

const KEY = 'ck-drafts';

export function listDrafts() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function save(list) {
  localStorage.setItem(KEY, JSON.stringify(list));
}

export function findDraft(id) {
  return listDrafts().find((d) => d.id === id);
}

export function findByToken(token) {
  return listDrafts().find((d) => d.draft_token === token);
}

/** Adds or replaces the entry with `draft.id` (or, without an id, with its token). */
export function putDraft(draft) {
  const key = (d) => d.id || d.draft_token;
  const list = listDrafts().filter((d) => key(d) !== key(draft));
  list.unshift(draft);
  save(list);
}

/** Forgets a draft (claimed, expired, or dismissed): its token leaves this browser. */
export function forgetDraft(match) {
  save(listDrafts().filter((d) => d.id !== match && d.draft_token !== match));
}

/** The claim page's link; the token rides in the fragment, which browsers never send. */
export function claimHref(draft) {
  return `/claim#${draft.draft_token}`;
}

/** Fills `ul` with the drafts, each with `actions(draft)` (elements) after its name. */
export function renderDraftList(ul, actions) {
  ul.replaceChildren();
  const drafts = listDrafts();
  if (!drafts.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'None yet. Published drafts are remembered here until you claim them.';
    ul.append(li);
    return;
  }
  for (const d of drafts) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.textContent = d.name || 'Untitled form';
    const when = document.createElement('span');
    when.className = 'hint';
    if (d.expires_at) when.textContent = ` · expires ${new Date(d.expires_at).toLocaleDateString()}`;
    name.append(when);
    const tools = document.createElement('span');
    tools.className = 'tools';
    tools.append(...actions(d));
    li.append(name, tools);
    ul.append(li);
  }
}
