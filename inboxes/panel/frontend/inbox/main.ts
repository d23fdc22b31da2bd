/** inbox.js: an inbox's install page (inboxes/inbox_edit.html): copy the snippet, reveal
 * the identity secret, confirm its rotation, and the install check: poll until the widget is
 * seen on the site. */

const $ = (id: string) => document.getElementById(id);
const POLL_MS = 4000;

const copy = $("copy-snippet");
const snippet = $("embed-snippet") as HTMLTextAreaElement | null;
if (copy && snippet) {
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(snippet.value);
    } catch {
      snippet.select();
      document.execCommand("copy");
    }
    const label = copy.textContent;
    copy.textContent = copy.dataset.tCopied || "";
    setTimeout(() => (copy.textContent = label), 2000);
  });
}

const secret = $("identity-secret");
const reveal = $("reveal-secret");
if (secret && reveal) {
  const masked = secret.textContent;
  reveal.addEventListener("click", () => {
    const shown = secret.textContent !== masked;
    secret.textContent = shown ? masked : secret.dataset.secret || "";
    reveal.textContent = (shown ? reveal.dataset.tShow : reveal.dataset.tHide) || "";
  });
}

for (const form of document.querySelectorAll<HTMLFormElement>("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

const box = $("install");
const check = $("install-check");
if (box && check && !check.classList.contains("ok")) {
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl || "", {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const status = await response.json();
        if (status.installed) {
          const when = new Date(status.at).toLocaleString(document.documentElement.lang || undefined);
          check.textContent = (check.dataset.tSeen || "").replace("{site}", status.origin).replace("{when}", when);
          check.classList.add("ok");
          return;
        }
      }
    } catch {
      /* offline for a moment: try again */
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
