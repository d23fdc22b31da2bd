/** panel.js: on every panel page (panel_base.html), so the badge stays right on settings
 * pages too. The one operator WebSocket of a tab, the "Dialogs" unread badge, sounds and
 * browser notifications, the operator's status in the sidebar and routing alerts as toasts.
 * Page scripts (dialogs.js) listen to the same socket through `window.MessengerPanel`. */

import type { Hub } from "../types";
import { api, upload } from "./api";
import { me, visibleToMe } from "./context";
import * as controls from "./controls";
import { watchVisibility } from "./notify";
import { connect, connected, on, receipts, send } from "./socket";
import * as toasts from "./toasts";
import * as badge from "./unread";

badge.listen();
watchVisibility();
controls.setUp();
toasts.listen();

const hub: Hub = {
  me,
  api,
  upload,
  on,
  toast: toasts.toast,
  track: badge.track,
  send,
  connected,
  receipts,
  unread: badge.unread,
  renderBadge: badge.renderBadge,
  mergeUnread: badge.mergeUnread,
  refreshUnread: badge.refreshUnread,
  visibleToMe,
  setReadingCheck: badge.setReadingCheck,
};
window.MessengerPanel = hub;

badge.refreshUnread();
connect();

// Read-only fields to copy (the install snippet) select themselves on click; an inline
// onclick attribute would be refused by the page's Content-Security-Policy.
document.addEventListener("click", (event) => {
  const target = event.target as Element | null;
  const field = target && target.closest && target.closest("[data-select-on-click]");
  if (field && typeof (field as HTMLInputElement).select === "function") (field as HTMLInputElement).select();
});
