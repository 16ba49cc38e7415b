// Offline Swagger-style renderer of /openapi.json: operations by tag, parameters with types and defaults,
// examples, responses, and a "Try it" button that sends the example body.
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};

function resolve(spec, node) {
  while (node && node.$ref) {
    node = node.$ref.replace(/^#\//, "").split("/").reduce((o, k) => o[k], spec);
  }
  return node || {};
}

function typeOf(spec, s) {
  s = resolve(spec, s);
  if (s.oneOf) return s.oneOf.map((x) => typeOf(spec, x)).join(" | ");
  if (s.type === "array") return `${typeOf(spec, s.items)}[]`;
  return s.type || "object";
}

function schemaTable(spec, schema) {
  schema = resolve(spec, schema);
  const table = el("table", { class: "schema" },
    el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "default"), el("th", {}, "notes")));
  for (const [name, raw] of Object.entries(schema.properties || {})) {
    const p = resolve(spec, raw);
    const notes = [p.description || "", p.minimum !== undefined ? `min ${p.minimum}` : "",
      p.maximum !== undefined ? `max ${p.maximum}` : "", p.enum ? `one of ${p.enum.join(", ")}` : ""]
      .filter(Boolean).join("; ");
    const required = (schema.required || []).includes(name) ? " *" : "";
    table.append(el("tr", {}, el("td", {}, name + required), el("td", {}, typeOf(spec, raw)),
      el("td", {}, p.default === undefined ? "" : JSON.stringify(p.default)), el("td", {}, notes)));
    if (p.properties) {
      table.append(el("tr", {}, el("td", { colspan: "4" }, schemaTable(spec, p))));
    }
  }
  return table;
}

function firstExample(media) {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  if (media.examples) return Object.values(media.examples)[0].value;
  return undefined;
}

function operation(spec, path, method, op) {
  const body = el("div", { class: "op-body" });
  if (op.description) body.append(el("p", {}, op.description));
  const json = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  let editor = null;
  if (json) {
    body.append(el("h4", {}, "Request body"), schemaTable(spec, json.schema));
    const example = firstExample(json);
    editor = el("textarea", { rows: "5", "aria-label": `${method} ${path} body` });
    editor.value = JSON.stringify(example === undefined ? {} : example, null, 2);
    body.append(el("h4", {}, "Example (editable)"), editor);
  }
  body.append(el("h4", {}, "Responses"));
  for (const [code, raw] of Object.entries(op.responses || {})) {
    const r = resolve(spec, raw);
    const content = r.content || {};
    const media = Object.values(content)[0];
    const example = firstExample(media);
    body.append(el("div", {}, el("strong", {}, code + " "), r.description || ""));
    if (example !== undefined) {
      body.append(el("pre", {}, typeof example === "string" ? example : JSON.stringify(example, null, 2)));
    }
  }
  const result = el("pre", { class: "try-result" });
  const button = el("button", { type: "button" }, "Try it");
  button.addEventListener("click", async () => {
    result.textContent = "…";
    try {
      const init = { method: method.toUpperCase(), headers: {} };
      if (editor) { init.body = editor.value; init.headers["Content-Type"] = "application/json"; }
      const res = await fetch(path, init);
      result.textContent = `${res.status} ${res.statusText}\n` + await res.text();
    } catch (e) {
      result.textContent = String(e);
    }
  });
  body.append(button, result);
  return el("details", { class: "op" },
    el("summary", {}, el("span", { class: `method ${method}` }, method.toUpperCase()),
      el("span", { class: "path" }, path), el("span", {}, op.summary || "")), body);
}

async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  document.getElementById("title").textContent = `${spec.info.title} ${spec.info.version} · API docs`;
  document.getElementById("description").textContent = spec.info.description || "";
  const root = document.getElementById("operations");
  root.textContent = "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["default"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(spec, path, method, op));
    }
  }
  for (const [tag, ops] of byTag) {
    root.append(el("h2", { class: "tag" }, tag), ...ops);
  }
}

main().catch((e) => { document.getElementById("operations").textContent = "failed to load: " + e; });
