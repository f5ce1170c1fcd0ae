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
  let fail = (e) => {
    if (sent) return;
    sent = 1;
    try {
      navigator.sendBeacon(api + '/api/v1/errors',
        JSON.stringify({ token: tok || void 0, src: 'loader', msg: ('' + e).slice(0, 500) }));
    } catch (_) {}
  };
  if (!w.WebAssembly) return fail('no WebAssembly');
  // One wave: the wasm, the glue and the config of every mount point already on the page start
  // together, so first render waits for one round trip after the loader, not three. The glue's
  // init streams-compiles the wasm from this fetch; the runtime takes each config response from
  // `pre` (keyed by the exact URL it would request) instead of asking again. Mount points added
  // later fetch their own.
  wasm = fetch(base + 'ck_bindings_bg.wasm');
  // Ids and tokens the runtime would reject are left to it (it reports them); checked here so
  // nothing else reaches the URL. `\w` is [A-Za-z0-9_], the runtime's alphabet with `-`.
  d.querySelectorAll('[data-ck-widget][data-ck-id]').forEach((e, u, t) => {
    t = e.dataset.ckToken || tok;
    // The mount point's language, as the runtime adds it (the server answers with its texts):
    // the primary subtag of the closest `lang`, lower case, when it is 2-3 letters.
    // bytes: `l` is the regex match (or null), reused as its own first group.
    let l = /^([a-z]{2,3})([-_]|$)/i.exec((e.closest('[lang]') || {}).lang || '');
    u = api + '/api/v1/widgets/' + e.dataset.ckId + '/config?token=' + t + (l ? '&lang=' + l[1].toLowerCase() : '');
    if (t && !pre[u] && /^[\w-]+$/.test(e.dataset.ckId + t)) {
      // The runtime's fetch options (no cookies, 10 s browser timeout where supported).
      pre[u] = fetch(u, { credentials: 'omit', signal: A && A.timeout && A.timeout(1e4) });
      // Marks a rejection handled (the runtime sees it and retries, or never needed it).
      // bytes: `Object` is a built-in no-op handler.
      pre[u].catch(Object);
    }
  });
  // Reported through the glue's init; this only keeps an unused rejection quiet.
  wasm.catch(Object);
  // import() of the ES-module glue needs no eval (CSP-safe).
  import(base + 'ck_bindings.js')
    .then((m) => m.default(wasm).then(() => {
      P.mark(M + 'end');
      m.boot(api, tok, t0, pre);
      // Replay in call order; calls made meanwhile append to q and run in turn.
      while (q.length) m.cmd.apply(0, q.shift());
      run = m.cmd;
    }))
    .catch(fail);
})(window, document, performance, 'ck:load:');
