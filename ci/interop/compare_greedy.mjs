// compare_greedy.mjs — compares llama.cpp's greedy tokens with ours, prompt by prompt, and judges each
// divergence. Where both runtimes compute the same numbers up to rounding, a greedy run can still part at a
// near tie: two tokens whose log-probabilities differ by less than the rounding noise. So a prompt passes
// when the tokens are equal throughout, or (TIES=ties) when at the first difference our own log-probability
// of llama.cpp's token is within TOL nats of our choice; after that the prefixes differ and nothing more is
// compared. TIES=strict allows no difference at all.
// usage: node compare_greedy.mjs THEIRS.jsonl OURS.jsonl N_TOKENS TOL strict|ties
// THEIRS: greedy.mjs lines; OURS: one gpt2-generate --json --top-n line per prompt. Prints one line of
// results ("24" = all equal, "16~0.0031" = parted at 16 at a gap of 0.0031 nats, "16!0.4" = a real
// difference) and exits 1 when any prompt fails.
import {readFileSync} from "node:fs";

const [theirsPath, oursPath, nTokens, tol, mode] = process.argv.slice(2);
const lines = (p) => readFileSync(p, "utf8").split("\n").filter((l) => l.trim() !== "");
const theirs = lines(theirsPath).map((l) => JSON.parse(l).tokens);
const ours = lines(oursPath).map((l) => JSON.parse(l));
let ok = theirs.length === ours.length && theirs.length > 0;
const out = [];
for (let i = 0; i < Math.min(theirs.length, ours.length); ++i) {
    const a = theirs[i], b = ours[i].tokens, n = Number(nTokens);
    let k = 0;
    while (k < n && k < a.length && k < b.length && a[k] === b[k]) ++k;
    if (k >= n) { out.push(String(k)); continue; }
    const top = ours[i].top_logprobs?.[k] ?? [];
    const mine = top.find((e) => e.token === b[k]), their = top.find((e) => e.token === a[k]);
    const gap = mine && their ? mine.logprob - their.logprob : Infinity;
    const tie = mode === "ties" && gap <= Number(tol);
    out.push(`${k}${tie ? "~" : "!"}${Number.isFinite(gap) ? gap.toPrecision(2) : "not-in-top"}`);
    if (!tie) ok = false;
}
console.log(out.join(","));
process.exit(ok ? 0 : 1);
