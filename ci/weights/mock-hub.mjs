// mock-hub.mjs — a local stand-in for the two Hugging Face endpoints weights/download.sh uses, so the
// download / resume / verification logic is tested without network:
//   GET /api/models/{org}/{name}/tree/{rev}     -> JSON listing (size for every file, lfs.oid = sha256 for
//                                                 model.safetensors, as the Hub lists LFS files)
//   GET /{org}/{name}/resolve/{rev}/{file}      -> the bytes, honouring "Range: bytes=N-" (206)
// Files are served from ROOT/{org}/{name}/{rev}/{file}. Faults, switched by files in ROOT (so a test can
// change them while the server runs):
//   ROOT/.cut-once   : the first full download of model.safetensors stops after half the bytes
//   ROOT/.bad-sha    : the listing gives model.safetensors a wrong sha256
//   ROOT/.bad-oid    : the listing gives config.json a wrong git blob id
// Every request is appended to ROOT/.requests ("METHOD URL RANGE"). Prints the port on stdout.
//
// Usage: node mock-hub.mjs ROOT
import { createServer } from "node:http";
import { readFileSync, existsSync, readdirSync, statSync, appendFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

const root = process.argv[2];
if (!root) {
  console.error("usage: node mock-hub.mjs ROOT");
  process.exit(2);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  appendFileSync(join(root, ".requests"), `${req.method} ${url.pathname} ${req.headers.range ?? "-"}\n`);
  let m = url.pathname.match(/^\/api\/models\/([^/]+)\/([^/]+)\/tree\/([^/]+)$/);
  if (m) {
    const dir = join(root, m[1], m[2], m[3]);
    if (!existsSync(dir)) return notFound(res);
    const entries = readdirSync(dir).sort().map((f) => {
      const data = readFileSync(join(dir, f));
      const blob = Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]);   // git's blob id
      let oid = createHash("sha1").update(blob).digest("hex");
      if (f === "config.json" && existsSync(join(root, ".bad-oid"))) oid = oid.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      const e = { type: "file", oid, size: data.length };
      if (f === "model.safetensors") {
        let sha = createHash("sha256").update(data).digest("hex");
        if (existsSync(join(root, ".bad-sha"))) sha = sha.replace(/^./, (c) => (c === "0" ? "1" : "0"));
        e.lfs = { oid: sha, size: data.length, pointerSize: 134 };
      }
      e.path = f;
      return e;
    });
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(entries));
  }
  m = url.pathname.match(/^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/([^/]+)$/);
  if (m) {
    const file = join(root, m[1], m[2], m[3], m[4]);
    if (!existsSync(file) || !statSync(file).isFile()) return notFound(res);
    const data = readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start > data.length) {
      res.writeHead(416);
      return res.end();
    }
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, {
      "content-length": body.length,
      ...(range ? { "content-range": `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const cut = join(root, ".cut-once");
    if (m[4] === "model.safetensors" && !range && existsSync(cut)) {
      rmSync(cut);
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      return setTimeout(() => res.destroy(), 50);
    }
    return res.end(body);
  }
  notFound(res);
});

function notFound(res) {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
}

server.listen(0, "127.0.0.1", () => console.log(server.address().port));
