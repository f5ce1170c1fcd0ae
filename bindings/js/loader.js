/*! Clickeen embed loader (hand-written, minified by `cargo xtask dist`; budget 1.5 KB gz). Why each line: bindings/js/loader.js. */
// bytes: arrow IIFE; its parameters are short local names for globals used more than once.
((w, d, P, M) => {
  let c = w.ck, s, base, api, tok, t0, run, sent, wasm, A = w.AbortSignal, pre = {};
  // Second inclusion: the first loader owns `ck`; change nothing.
  if (c && c.l) return;
  t0 = P.now();
  P.mark(M + 'start');
  // Calls queued by a publisher stub (`ck.q`) stay first, in call order.
  let q = (c && c.q) || [];
  // One `ck` for the page's life: queues until ready, then forwards.
  // bytes: `apply(0, …)`: the runtime ignores `this`.
  c = w.ck = function () { run ? run.apply(0, arguments) : q.push(arguments); };
  c.q = q;
  c.l = 1;
  s = d.currentScript || d.querySelector('script[src$="loader.js"]');
  if (!s) return;
  // Glue and wasm sit next to the loader (same version folder).
  // bytes: regex drops the file name (shorter than lastIndexOf + slice).
  base = s.src.replace(/[^/]*$/, '');
  // Without trailing slashes, as the runtime spells URLs: prefetched configs are found by URL.
  api = (s.dataset.ckApi || new URL(s.src).origin).replace(/\/+$/, '');
  tok = s.dataset.ckToken || '';
  // Report once, fire-and-forget; the page stays as it was.
  // bytes: `tok || void 0` lets JSON.stringify drop an absent token.
  // The lazy chunks of this release, one per widget type plus `modes`, and the types whose
  // chunk is also linked into `ck_bindings_bg.wasm` (`cargo xtask dist` writes both lists). A
  // page with one of those types gets that file; any other page the bare runtime, `core.wasm`,
  // and the chunks of its types. `own`: the first was chosen. `got`: each chunk's promise (it
  // is instantiated once); `bad`: chunks that failed.
  // `load` starts a chunk's fetch once and shares it: by the first wave for the types on the
  // page, by the glue for types that appear later. Kept in `pre` under its URL, like configs.
  let chunks = ['CK_CHUNKS'], linked = ['CK_LINKED'], own, got = {}, bad = {}, load = (n, u) => {
    u = base + n + '.wasm';
    // Marks a rejection handled (the glue sees it and reports); the same promise is shared.
    if (!pre[u]) (pre[u] = fetch(u)).catch(Object);
    return pre[u];
  };
  let fail = (e) => {
    if (sent) return;
    sent = 1;
    try {
      navigator.sendBeacon(api + '/api/v1/errors',
        JSON.stringify({ token: tok || void 0, src: 'loader', msg: ('' + e).slice(0, 500) }));
    } catch (_) {}
  };
  if (!w.WebAssembly) return fail('no WebAssembly');
  // One wave: the wasm, the glue, the chunk and config of every mount point already on the page
  // start together, so first render waits for one round trip after the loader, not three. The glue's
  // init streams-compiles the wasm from its fetch; the runtime takes each config response from
  // `pre` (keyed by the exact URL it would request) instead of asking again. Mount points added
  // later fetch their own.
  // Ids and tokens the runtime would reject are left to it (it reports them); checked here so
  // nothing else reaches the URL. `\w` is [A-Za-z0-9_], the runtime's alphabet with `-`.
  d.querySelectorAll('[data-ck-widget]').forEach((e, u, t) => {
    // The code of each widget type on the page joins the wave (unless it is linked in).
    if (linked.includes(t = e.dataset.ckWidget)) own = 1;
    else if (chunks.includes(t)) load(t);
    // A popup or slide-in also needs the presenter's chunk.
    if (e.dataset.ckMode && chunks.includes('modes')) load('modes');
    t = e.dataset.ckToken || tok;
    // The mount point's language, as the runtime adds it (the server answers with its texts):
    // the primary subtag of the closest `lang`, lower case, when it is 2-3 letters.
    // bytes: `l` is the regex match (or null), reused as its own first group.
    let l = /^([a-z]{2,3})([-_]|$)/i.exec((e.closest('[lang]') || {}).lang || '');
    u = api + '/api/v1/widgets/' + e.dataset.ckId + '/config?token=' + t + (l ? '&lang=' + l[1].toLowerCase() : '');
    if (e.dataset.ckId && t && !pre[u] && /^[\w-]+$/.test(e.dataset.ckId + t)) {
      // The runtime's fetch options (no cookies, 10 s browser timeout where supported).
      pre[u] = fetch(u, { credentials: 'omit', signal: A && A.timeout && A.timeout(1e4) });
      // Marks a rejection handled (the runtime sees it and retries, or never needed it).
      // bytes: `Object` is a built-in no-op handler.
      pre[u].catch(Object);
    }
  });
  // Two calls, not one with a conditional name: the bench's single-file build (xtask/src/single.rs)
  // swaps the first for the inlined wasm.
  wasm = own ? fetch(base + 'ck_bindings_bg.wasm') : fetch(base + 'core.wasm');
  // Reported through the glue's init; this only keeps an unused rejection quiet.
  wasm.catch(Object);
  // import() of the ES-module glue needs no eval (CSP-safe).
  import(base + 'ck_bindings.js')
    .then((m) => m.default(wasm).then(() => {
      P.mark(M + 'end');
      // The runtime's `need(chunk, element)` for code it does not have: 0 no such chunk, 2 it
      // failed, else 1 and `element` is mounted again once the chunk has registered its code
      // (or has failed: the runtime then reports the element; this reports once per page).
      // The glue instantiates a chunk once, or calls its entry when it is linked in.
      // bytes: the failure is caught once per chunk, so every waiting element remounts the same
      // way and the runtime sees `bad` (2) on its second ask. `mount` with a third argument
      // mounts only an element still waiting (not one unmounted or removed meanwhile).
      m.boot(api, tok, t0, pre, (n, e) => chunks.includes(n) ? bad[n] ? 2 : (
        (got[n] ||= m.chunk(n, load).catch((x) => { bad[n] = 1; fail(x); }))
          .then(() => m.cmd('mount', e, 1)), 1) : 0);
      // Replay in call order; calls made meanwhile append to q and run in turn.
      while (q.length) m.cmd.apply(0, q.shift());
      run = m.cmd;
    }))
    .catch(fail);
})(window, document, performance, 'ck:load:');
