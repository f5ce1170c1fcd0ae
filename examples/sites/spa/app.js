// A tiny hash router, as single-page apps have: each route replaces the view's children. The
// contact route clones the publisher's snippet (the `<template id="ck-snippet">` the page
// carries) into the view; leaving the route removes it. The embed's MutationObserver mounts and
// unmounts the form by itself: the app never calls the embed.
const routes = {
  '/': () => section('Stones, not mountains', 'Pebble keeps three tasks a day in front of you and hides the rest.'),
  '/pricing': () => section('Pricing', 'Free for one person. $4 a month for a household.'),
  '/contact': () => {
    const view = section('Contact', 'Questions, bugs, love letters: we read everything.');
    const snippet = document.getElementById('ck-snippet');
    if (snippet) view.append(snippet.content.cloneNode(true));
    return view;
  },
};

function section(title, text) {
  const s = document.createElement('section');
  s.className = 'card';
  const h = document.createElement('h1');
  h.textContent = title;
  const p = document.createElement('p');
  p.textContent = text;
  s.append(h, p);
  return s;
}

function render() {
  const path = location.hash.replace(/^#/, '') || '/';
  const view = document.getElementById('view');
  view.replaceChildren((routes[path] || routes['/'])());
  for (const a of document.querySelectorAll('[data-route]')) {
    if (a.dataset.route === path) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

window.addEventListener('hashchange', render);
render();
