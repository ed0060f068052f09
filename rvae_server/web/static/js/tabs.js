/* The tabs of the page's third column (motion, shape, map, melody, training, output): one shown at a time, one click away;
 * the choice is remembered per browser (localStorage "rvae-tab"). A part of the page that must redraw when its tab
 * shows (its canvas had no size while hidden) registers with onTabShown. */

import { $ } from "./state.js";

const KEY = "rvae-tab";
const DEFAULT = "map";
const shown = new Map(); // tab → callbacks run when it shows

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch (err) {
    return null; // storage refused (private mode): the default tab
  }
}

export function onTabShown(tab, callback) {
  if (!shown.has(tab)) shown.set(tab, []);
  shown.get(tab).push(callback);
}

/* Show ``tab`` (a data-tab name); unknown names show the default. Returns the tab shown. */
export function showTab(tab, remember = true) {
  const names = [...$("tabs").querySelectorAll("button")].map((b) => b.dataset.tab);
  const name = names.includes(tab) ? tab : DEFAULT;
  for (const b of $("tabs").querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const p of document.querySelectorAll(".tab-panel")) p.classList.toggle("shown", p.dataset.tab === name);
  if (remember) {
    try {
      localStorage.setItem(KEY, name);
    } catch (err) {
      // not remembered: nothing else changes
    }
  }
  for (const callback of shown.get(name) || []) callback();
  return name;
}

export function currentTab() {
  const b = $("tabs").querySelector("button[aria-selected=true]");
  return b ? b.dataset.tab : null;
}

export function wireTabs() {
  for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  showTab(stored() || DEFAULT, false);
}
