/** Transfer: hand the open dialog to another branch, to its first free operator or to a
 * chosen one (with their live status and load), with a note for the colleague. */

import type { Row } from "../types";
import { T, el, hub, me, state, type Branch } from "./context";
import { applyCurrent, branchName } from "./conversation";
import { chatsText, errorText, fill, node } from "./format";
import { applyRow } from "./list";

interface Person {
  id: number;
  full_name: string;
  status: string;
  load?: number;
  capacity?: number;
}

let branchesLoaded: Promise<void> | null = null;
export function loadBranches({ force = false } = {}): Promise<void> {
  if (!branchesLoaded || force) {
    branchesLoaded = hub
      .api<Branch[]>("GET", "/branches")
      .then((list) => {
        state.branches = new Map(list.map((branch) => [branch.id, branch]));
        if (state.current) applyCurrent({});
      })
      .catch(() => {
        branchesLoaded = null; // try again next time
      });
  }
  return branchesLoaded;
}

export async function openTransfer(): Promise<void> {
  const current = state.current;
  if (!current || el.modal.open) return;
  el.transferError.hidden = true;
  el.transferNote.value = "";
  await loadBranches({ force: true }); // a branch may have been switched off meanwhile
  const active = [...state.branches.values()].filter((branch) => branch.is_active);
  el.transferBranch.replaceChildren(
    ...active.map((branch) => {
      const label = branch.id === current.branch_id ? fill(T.current_branch, { name: branch.name }) : branch.name;
      const option = node("option", "", label);
      option.value = String(branch.id);
      return option;
    }),
  );
  // Most transfers go elsewhere: preselect the first other branch.
  const other = active.find((branch) => branch.id !== current.branch_id) || active[0];
  if (other) el.transferBranch.value = String(other.id);
  el.transferSubmit.disabled = !active.length;
  el.modal.showModal();
  if (active.length) loadOperators();
  else transferState(T.no_branches);
  el.transferBranch.focus();
}

function transferState(text: string): void {
  el.transferState.textContent = text;
  el.transferState.hidden = !text;
}

let operatorsTicket = 0;
export async function loadOperators(): Promise<void> {
  const branchId = Number(el.transferBranch.value);
  const ticket = ++operatorsTicket;
  const any = el.transferOperators.firstElementChild!; // "First free operator" stays
  any.querySelector("input")!.checked = true;
  el.transferOperators.replaceChildren(any);
  transferState(T.loading);
  try {
    const people = await hub.api<Person[]>("GET", `/routing/branches/${branchId}/operators`);
    if (ticket !== operatorsTicket) return;
    const others = people.filter((person) => person.id !== me.id);
    transferState(others.length ? "" : T.no_operators);
    el.transferOperators.append(...others.map(operatorOption));
  } catch (error) {
    if (ticket === operatorsTicket) transferState(errorText(error));
  }
}

function operatorOption(person: Person): HTMLElement {
  const li = node("li");
  li.dataset.userId = String(person.id);
  const label = node("label", "transfer-option");
  const radio = document.createElement("input");
  radio.type = "radio";
  radio.name = "transfer-operator";
  radio.value = String(person.id);
  const dot = node("span", "status-dot");
  const text = node("span", "transfer-person");
  const name = node("span", "transfer-name", person.full_name);
  const status = node("span", "visually-hidden transfer-status");
  let load = chatsText(person.load || 0);
  if (person.capacity) load += ` · ${fill(T.max_chats, { n: person.capacity })}`;
  text.append(name, status);
  label.append(radio, dot, text, node("span", "transfer-load", load));
  li.append(label);
  setOperatorStatus(li, person.status);
  return li;
}

function setOperatorStatus(li: HTMLElement, status: string): void {
  const label = (T.statuses || {})[status] || status;
  const dot = li.querySelector<HTMLElement>(".status-dot")!;
  li.dataset.status = status;
  dot.dataset.status = status;
  dot.title = label;
  li.querySelector(".transfer-status")!.textContent = `, ${label}`;
}

export async function submitTransfer(): Promise<void> {
  const id = state.currentId;
  const branchId = Number(el.transferBranch.value);
  if (!id || !branchId) return;
  const chosen = el.transferOperators.querySelector<HTMLInputElement>("input:checked");
  const operatorId = chosen && chosen.value ? Number(chosen.value) : null;
  el.transferSubmit.disabled = true;
  el.transferError.hidden = true;
  try {
    const row = await hub.api<Row>("POST", `/conversations/${id}/transfer`, {
      branch_id: branchId,
      operator_id: operatorId,
      note: el.transferNote.value.trim(),
    });
    el.modal.close();
    if (id !== state.currentId) return;
    const branch = branchName(row.branch_id) || branchName(branchId);
    state.stickyNotice = row.assignee_id
      ? fill(T.transferred_to, { name: row.assignee_name, branch })
      : fill(T.transferred_queue, { branch });
    hub.track(row);
    applyRow(row);
  } catch (error) {
    el.transferError.textContent = errorText(error);
    el.transferError.hidden = false;
  } finally {
    el.transferSubmit.disabled = false;
  }
}

export function onOperatorStatus(payload: { user_id?: number; status: string } | null): void {
  if (!payload || !el.modal.open) return;
  const li = el.transferOperators.querySelector<HTMLElement>(`li[data-user-id="${Number(payload.user_id)}"]`);
  if (li) setOperatorStatus(li, payload.status);
}
