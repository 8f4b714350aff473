// i2i serve web page: list models, send a dropped/chosen image, show input and output, offer a download.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], output: null, token: sessionStorage.getItem("i2i-token") || "" };
window.i2i = state; // read by the browser test (the last output Blob and its status)

function headers() {
  return state.token ? { Authorization: "Bearer " + state.token } : {};
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function detail(response) {
  try { return (await response.json()).detail; } catch { return response.statusText; }
}

async function loadModels() {
  const health = await (await fetch("/health")).json();
  $("tokenbox").hidden = !health.token_required;
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) { status("This server needs a token: enter it above.", true); return; }
  if (!response.ok) { status("Cannot list models: " + (await detail(response)), true); return; }
  state.models = (await response.json()).models;
  const select = $("model");
  select.replaceChildren(...state.models.map((m, i) => {
    const option = document.createElement("option");
    option.value = String(i);
    option.textContent = m.name + (m.direction ? " (" + m.direction + ")" : "") + " · " + m.task;
    return option;
  }));
  showMeta();
  status(state.models.length + " model(s) ready. Drop an image.");
  document.body.dataset.ready = "1";
}

function showMeta() {
  const m = state.models[Number($("model").value)];
  $("meta").textContent = m ? m.arch + ", " + m.precision + ", sides multiple of " + m.size_multiple
    + (m.domains ? ", " + m.domains.join(" → ") : "") + ", on " + m.provider : "";
}

async function send(file) {
  const m = state.models[Number($("model").value)];
  if (!m) { status("No model selected.", true); return; }
  $("input").src = URL.createObjectURL(file);
  $("input").onload = () => { $("in-size").textContent = $("input").naturalWidth + "×" + $("input").naturalHeight; };
  $("output").removeAttribute("src");
  $("download").hidden = true;
  state.output = null;
  state.status = null;
  status("Running " + m.name + " on " + file.name + " …");
  const params = new URLSearchParams({ model: m.name, format: $("format").value });
  if (m.direction) params.set("direction", m.direction);
  const body = new FormData();
  body.append("image", file, file.name);
  const started = performance.now();
  let response;
  try {
    response = await fetch(m.endpoint + "?" + params, { method: "POST", body, headers: headers() });
  } catch (err) {
    state.status = 0;
    status("Request failed: " + err, true);
    return;
  }
  state.status = response.status;
  if (!response.ok) { status(response.status + ": " + (await detail(response)), true); return; }
  const blob = await response.blob();
  state.output = blob;
  const url = URL.createObjectURL(blob);
  $("output").src = url;
  const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1];
  $("download").href = url;
  $("download").download = name || "output";
  $("download").hidden = false;
  const ms = Math.round(performance.now() - started);
  status("Done in " + ms + " ms (" + (blob.size / 1024).toFixed(1) + " KiB " + blob.type + ").");
}

$("model").addEventListener("change", showMeta);
$("file").addEventListener("change", () => { if ($("file").files[0]) send($("file").files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) send(e.dataTransfer.files[0]);
});
$("save-token").addEventListener("click", () => {
  state.token = $("token").value.trim();
  sessionStorage.setItem("i2i-token", state.token);
  loadModels();
});
loadModels().catch((err) => status("Cannot reach the server: " + err, true));
