// Renders /openapi.json as a list of endpoints (no third-party scripts: the page works offline and under
// the server's Content-Security-Policy). Text goes in with textContent only.
"use strict";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function row(cells, header) {
  const tr = el("tr");
  for (const cell of cells) tr.appendChild(el(header ? "th" : "td", cell));
  return tr;
}

function paramType(schema) {
  if (!schema) return "";
  if (schema.enum) return schema.enum.join(" | ");
  if (schema.anyOf) return schema.anyOf.map(paramType).filter(Boolean).join(" | ");
  return schema.type || "";
}

function renderOperation(path, method, op) {
  const section = el("section");
  const title = el("h2");
  title.appendChild(el("span", method.toUpperCase(), "method " + method));
  title.appendChild(document.createTextNode(path));
  section.appendChild(title);
  if (op.summary) section.appendChild(el("p", op.summary));
  if (op.description) section.appendChild(el("p", op.description));
  if (op.parameters && op.parameters.length) {
    const table = el("table");
    table.appendChild(row(["parameter", "in", "type", "required", "description"], true));
    for (const p of op.parameters) {
      table.appendChild(row([p.name, p.in, paramType(p.schema), p.required ? "yes" : "no", p.description || ""]));
    }
    section.appendChild(table);
  }
  if (op.requestBody) {
    const types = Object.keys(op.requestBody.content || {}).join(", ");
    section.appendChild(el("p", "Body (" + types + "): " + (op.requestBody.description || "")));
  }
  const table = el("table");
  table.appendChild(row(["status", "meaning"], true));
  for (const [code, response] of Object.entries(op.responses || {})) {
    table.appendChild(row([code, response.description || ""]));
  }
  section.appendChild(table);
  return section;
}

async function main() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/openapi.json");
    if (!response.ok) throw new Error("/openapi.json answered " + response.status);
    const schema = await response.json();
    const paths = document.getElementById("paths");
    for (const [path, item] of Object.entries(schema.paths || {})) {
      for (const [method, op] of Object.entries(item)) paths.appendChild(renderOperation(path, method, op));
    }
    status.textContent = schema.info.title + " " + schema.info.version;
  } catch (err) {
    status.textContent = "cannot load the API description: " + err.message;
    status.className = "error";
  }
}

main();
