// The dashboard's only script. Every page works without it; it adds two things.

// Copy buttons: they stay hidden without JS (the text is selectable as is) and appear here.
// `data-copy` names the element whose text (or input value) is copied.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    const text = source instanceof HTMLInputElement ? source.value : source.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.lastChild.textContent = "Copied";
    } catch {
      // Clipboard refused (permissions): select the text so Ctrl+C works.
      if (source instanceof HTMLInputElement) source.select();
      button.lastChild.textContent = "Press Ctrl+C to copy";
    }
    setTimeout(() => { button.lastChild.textContent = label; }, 2000);
  });
}

// PostHog page view, only when the server has a key (the attributes are absent otherwise). Sent
// to PostHog's capture endpoint directly instead of loading its library: no third-party script,
// and the CSP only has to allow connecting to the configured host.
// (A module script has no document.currentScript, so it finds its own tag.)
const me = document.querySelector("script[data-posthog-key]");
if (me) {
  const body = JSON.stringify({
    api_key: me.dataset.posthogKey,
    event: "$pageview",
    distinct_id: me.dataset.user,
    properties: { $current_url: location.origin + location.pathname },
  });
  fetch(`${me.dataset.posthogHost}/capture/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
    keepalive: true,
    credentials: "omit",
  }).catch(() => {});
}
