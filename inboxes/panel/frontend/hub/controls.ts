/** The sidebar's controls: sound on/off, sound while the tab is in front, "Enable
 * notifications", and my status (online / away / busy / offline), each saved at once. */

import { api } from "./api";
import { STATUSES, T, data, me } from "./context";
import { resumeAudio, unlockAudio } from "./notify";
import { on } from "./socket";
import { toast } from "./toasts";

const muteButton = document.getElementById("notify-mute");
const visibleSoundButton = document.getElementById("notify-visible");
const enableButton = document.getElementById("notify-enable");
const statusBox = document.getElementById("my-status-box");
const statusSelect = document.getElementById("my-status") as HTMLSelectElement | null;

function renderControls(): void {
  if (muteButton) {
    muteButton.setAttribute("aria-checked", me.muted ? "false" : "true");
    muteButton.textContent = me.muted ? data.tUnmute || "Sound off" : data.tMute || "Sound on";
    muteButton.classList.toggle("off", me.muted);
  }
  if (visibleSoundButton) {
    visibleSoundButton.setAttribute("aria-checked", me.soundWhenVisible ? "true" : "false");
    visibleSoundButton.classList.toggle("off", !me.soundWhenVisible);
  }
  if (enableButton) {
    // Ask only when the operator clicks, and offer the button only while it can help.
    enableButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
}

/** A switch saved with PATCH /me: optimistic, undone if the server refuses. */
function toggle(button: HTMLElement | null, field: "muted" | "soundWhenVisible", apiField: string): void {
  button?.addEventListener("click", async () => {
    const wanted = !me[field];
    me[field] = wanted;
    renderControls();
    try {
      const result = await api("PATCH", "/me", { [apiField]: wanted });
      me[field] = Boolean(result[apiField]);
    } catch {
      me[field] = !wanted;
    }
    renderControls();
  });
}

function renderStatus(): void {
  if (!statusBox || !statusSelect) return;
  statusBox.dataset.status = me.status;
  statusSelect.value = me.status;
  statusBox.querySelector(".status-dot")?.setAttribute("title", T[`status_${me.status}`] || "");
}

export function setUp(): void {
  toggle(muteButton, "muted", "notifications_muted");
  toggle(visibleSoundButton, "soundWhenVisible", "sound_when_visible");
  enableButton?.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      renderControls();
    }
    unlockAudio(); // a click is a user gesture: a good moment to unlock audio for later chimes
  });
  document.addEventListener("click", resumeAudio, { once: true });
  renderControls();

  const initial = statusBox?.dataset.status || "";
  me.status = STATUSES.includes(initial) ? initial : "offline";
  statusSelect?.addEventListener("change", async () => {
    const wanted = statusSelect.value;
    const before = me.status;
    me.status = wanted; // optimistic; undone below if the server refuses
    renderStatus();
    statusSelect.disabled = true;
    try {
      const result = await api("POST", "/routing/status", { status: wanted });
      me.status = STATUSES.includes(result.status) ? result.status : wanted;
    } catch {
      me.status = before;
      toast(T.status_failed, { kind: "bad" });
    } finally {
      statusSelect.disabled = false;
    }
    renderStatus();
  });
  // My tabs, and supervisors, hear every change; the server sets me online when I connect.
  on("operator.status", (payload) => {
    if (!payload || payload.user_id !== me.id || !STATUSES.includes(payload.status)) return;
    me.status = payload.status;
    renderStatus();
  });
  renderStatus();
}
