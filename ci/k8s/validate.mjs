// validate.mjs — offline validation of the Kubernetes manifests in a directory.
//
// 1. Schema: every document is validated against the Kubernetes OpenAPI schema of its apiVersion/kind, as
//    bundled (precompiled) in the npm package kubernetes-models — no cluster, no network. Unknown
//    apiVersion/kind is an error. (Those schemas do not reject unknown fields, so step 2 checks the fields
//    this project relies on by name.)
// 2. Project rules across the documents: the Deployment's pod labels match its selector and the Service's
//    selector; readiness probe GET /health and liveness probe GET /health/live on the container's port;
//    CPU and memory requests and limits set; the HPA targets the Deployment and scales on CPU; every
//    kustomization.yaml resource exists.
//
// Usage: node validate.mjs DIR        exit 0 = valid, 1 = problems (listed), 2 = usage
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node validate.mjs DIR");
  process.exit(2);
}

const problems = [];
const fail = (where, msg) => problems.push(`${where}: ${msg}`);

// apiVersion "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1
async function modelClass(apiVersion, kind) {
  const spec = `kubernetes-models/${apiVersion}`;
  let mod;
  try {
    mod = await import(spec);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
if (files.length === 0) fail(dir, "no YAML manifests found");

const objects = [];   // { file, doc }
for (const file of files) {
  const where = join(dir, file);
  const docs = parseAllDocuments(readFileSync(where, "utf8"));
  for (const d of docs) {
    if (d.errors.length) {
      for (const e of d.errors) fail(where, `YAML: ${e.message}`);
      continue;
    }
    const doc = d.toJS();
    if (doc == null) continue;
    if (file.startsWith("kustomization.")) {
      for (const r of doc.resources ?? []) {
        if (!existsSync(join(dir, r))) fail(where, `resource ${r} does not exist`);
      }
      continue;
    }
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      fail(where, "document without apiVersion/kind");
      continue;
    }
    const Cls = await modelClass(doc.apiVersion, doc.kind);
    if (!Cls) {
      fail(where, `unknown apiVersion/kind ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new Cls(doc).validate();
    } catch (e) {
      const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`).join("; ");
      fail(where, `${doc.kind}/${doc.metadata?.name}: schema: ${details || e.message}`);
      continue;
    }
    objects.push({ file: where, doc });
  }
}

// ---- project rules -----------------------------------------------------------------------------------------
const byKind = (k) => objects.filter((o) => o.doc.kind === k);
const sameLabels = (sel, labels) => Object.entries(sel ?? {}).every(([k, v]) => labels?.[k] === v);

const deployments = byKind("Deployment");
if (deployments.length !== 1) fail(dir, `expected exactly one Deployment, found ${deployments.length}`);
for (const { file, doc } of deployments) {
  const spec = doc.spec;
  const podLabels = spec.template?.metadata?.labels ?? {};
  if (!sameLabels(spec.selector?.matchLabels, podLabels) || !spec.selector?.matchLabels) {
    fail(file, "spec.selector.matchLabels does not match the pod template labels");
  }
  const containers = spec.template.spec.containers;
  if (containers.length !== 1) fail(file, `expected one container, found ${containers.length}`);
  for (const c of containers) {
    const ports = c.ports ?? [];
    const portOk = (p) => ports.some((x) => x.name === p || x.containerPort === p);
    for (const [probe, path] of [["readinessProbe", "/health"], ["livenessProbe", "/health/live"]]) {
      const get = c[probe]?.httpGet;
      if (!get) fail(file, `container ${c.name}: no ${probe}.httpGet`);
      else {
        if (get.path !== path) fail(file, `container ${c.name}: ${probe} path ${get.path}, expected ${path}`);
        if (!portOk(get.port)) fail(file, `container ${c.name}: ${probe} port ${get.port} is not a container port`);
      }
    }
    const startup = c.startupProbe?.httpGet;   // optional; when present it waits for the model like readiness
    if (c.startupProbe && (!startup || startup.path !== "/health" || !portOk(startup.port))) {
      fail(file, `container ${c.name}: startupProbe must GET /health on a container port`);
    }
    for (const part of ["requests", "limits"]) {
      for (const res of ["cpu", "memory"]) {
        if (c.resources?.[part]?.[res] == null) fail(file, `container ${c.name}: resources.${part}.${res} missing`);
      }
    }
    if (!(c.env ?? []).some((e) => e.name === "GPT2_MODEL")) fail(file, `container ${c.name}: no GPT2_MODEL env`);
  }
  if (spec.template.spec.securityContext?.runAsNonRoot !== true) fail(file, "pod securityContext.runAsNonRoot is not true");

  for (const svc of byKind("Service")) {
    if (!sameLabels(svc.doc.spec.selector, podLabels) || !svc.doc.spec.selector) {
      fail(svc.file, `Service ${svc.doc.metadata.name} selector does not select the Deployment's pods`);
    }
    for (const p of svc.doc.spec.ports) {
      const t = p.targetPort ?? p.port;
      if (!containers.some((c) => (c.ports ?? []).some((x) => x.name === t || x.containerPort === t))) {
        fail(svc.file, `Service port ${p.name ?? p.port}: targetPort ${t} is not a container port`);
      }
    }
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.doc.spec.scaleTargetRef;
    if (ref.kind !== "Deployment" || ref.name !== doc.metadata.name) {
      fail(hpa.file, `HPA targets ${ref.kind}/${ref.name}, not Deployment/${doc.metadata.name}`);
    }
    if (!(hpa.doc.spec.metrics ?? []).some((m) => m.type === "Resource" && m.resource?.name === "cpu")) {
      fail(hpa.file, "HPA has no CPU resource metric");
    }
    if ((hpa.doc.spec.minReplicas ?? 1) > hpa.doc.spec.maxReplicas) fail(hpa.file, "minReplicas > maxReplicas");
  }
}
if (byKind("Service").length === 0) fail(dir, "no Service");
if (byKind("HorizontalPodAutoscaler").length === 0) fail(dir, "no HorizontalPodAutoscaler");

if (problems.length) {
  for (const p of problems) console.log(`  ${p}`);
  console.log(`${dir}: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`${dir}: ${objects.length} objects valid (${objects.map((o) => o.doc.kind).join(", ")})`);
