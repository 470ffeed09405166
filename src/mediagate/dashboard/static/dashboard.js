// mediagate dashboard: live updates only (every page works without this script).
// The tasks page and a task's page follow the dashboard's own event streams (same origin,
// the session's cookie) and update in place; nothing here builds HTML from event data.
"use strict";

const EVENT_TYPES = [
  "task.created", "task.queued", "task.running", "task.progress",
  "task.succeeded", "task.failed", "task.cancelled", "task.expired",
];
const FINAL = new Set(["succeeded", "failed", "cancelled", "expired"]);

function follow(url, onEvent) {
  const source = new EventSource(url);
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (message) => onEvent(type, JSON.parse(message.data).data, source));
  }
  return source;
}

function setStatus(scope, status) {
  for (const badge of scope.querySelectorAll('[data-field="status"]')) {
    badge.textContent = status;
    badge.className = "status status-" + status;
  }
}

function setProgress(scope, progress) {
  for (const bar of scope.querySelectorAll('progress[data-field="progress"]')) {
    bar.value = progress;
    bar.textContent = progress + " %";
  }
  for (const text of scope.querySelectorAll('[data-field="progress-text"]')) {
    text.textContent = progress + " %";
  }
}

function setText(scope, field, text) {
  for (const node of scope.querySelectorAll('[data-field="' + field + '"]')) {
    node.textContent = text;
  }
}

function followList(table) {
  follow(table.dataset.stream, (type, task) => {
    const row = table.querySelector('tr[data-task-id="' + CSS.escape(task.id) + '"]');
    if (row) {
      setStatus(row, task.status);
      setProgress(row, task.progress);
    } else if (type === "task.created") {
      const notice = document.getElementById("new-tasks");
      if (notice) notice.hidden = false;
    }
  });
}

async function reloadTask(current) {
  // The server renders the new state (result previews, timeline, buttons); swap it in.
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return current;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("task");
  if (!fresh) return current;
  const adopted = document.importNode(fresh, true);
  current.replaceWith(adopted);
  return adopted;
}

function followTask(section) {
  let current = section;
  let shown = section.dataset.status;
  let pending = Promise.resolve();
  follow(section.dataset.stream, (type, task, source) => {
    setProgress(current, task.progress);
    setText(current, "queue_position", task.queue_position >= 0 ? String(task.queue_position) : "—");
    setText(current, "eta_seconds", task.eta_seconds >= 0 ? task.eta_seconds + " s" : "—");
    if (FINAL.has(task.status)) source.close();
    if (task.status !== shown) {
      shown = task.status;
      setStatus(current, task.status);
      pending = pending.then(() => reloadTask(current)).then((node) => { current = node; });
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table[data-stream]");
  if (table) followList(table);
  const task = document.querySelector("#task[data-stream]");
  if (task) followTask(task);
});
