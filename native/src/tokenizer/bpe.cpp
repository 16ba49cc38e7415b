// bpe.cpp — the merge table and the two merge loops. bpe_merge keeps the symbols in a doubly linked list
// over the piece and a min-heap of candidate pairs (rank, position); stale heap entries are recognised by
// the ids they were made for and skipped, so long runs ("aaaa…", 100k spaces) stay O(n log n).
#include "tokenizer/bpe.h"

#include <algorithm>
#include <queue>

namespace gpt2 {

namespace {
constexpr uint64_t EMPTY_KEY = ~(uint64_t)0;

uint64_t pair_key(int32_t left, int32_t right) { return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right; }

size_t pair_hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key;
}
}  // namespace

void BpeMergeTable::reserve(size_t n_merges) {
    size_t cap = 16;
    while (cap < n_merges * 2) cap *= 2;
    if (cap <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{EMPTY_KEY, 0, 0});
    n_ = 0;
    for (const Slot &s : old)
        if (s.key != EMPTY_KEY) add((int32_t)(s.key >> 32), (int32_t)(uint32_t)s.key, s.rank, s.merged);
}

void BpeMergeTable::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

bool BpeMergeTable::add(int32_t left, int32_t right, int32_t rank, int32_t merged) {
    if ((n_ + 1) * 2 > slots_.size()) grow();
    const uint64_t key = pair_key(left, right);
    const size_t mask = slots_.size() - 1;
    for (size_t h = pair_hash(key) & mask;; h = (h + 1) & mask) {
        if (slots_[h].key == key) return false;
        if (slots_[h].key == EMPTY_KEY) {
            slots_[h] = Slot{key, rank, merged};
            ++n_;
            return true;
        }
    }
}

bool BpeMergeTable::find(int32_t left, int32_t right, int32_t *rank, int32_t *merged) const {
    if (slots_.empty()) return false;
    const uint64_t key = pair_key(left, right);
    const size_t mask = slots_.size() - 1;
    for (size_t h = pair_hash(key) & mask;; h = (h + 1) & mask) {
        if (slots_[h].key == key) {
            *rank = slots_[h].rank;
            *merged = slots_[h].merged;
            return true;
        }
        if (slots_[h].key == EMPTY_KEY) return false;
    }
}

void bpe_merge(const BpeMergeTable &merges, std::vector<int32_t> *ids) {
    const int32_t n = (int32_t)ids->size();
    if (n < 2) return;
    std::vector<int32_t> &sym = *ids;  // sym[pos]: id of the symbol starting at pos (valid while alive)
    std::vector<int32_t> prev(n), next(n);
    for (int32_t p = 0; p < n; ++p) {
        prev[p] = p - 1;
        next[p] = p + 1 < n ? p + 1 : -1;
    }

    struct Candidate {
        int32_t rank, pos, left, right, merged;
        bool operator>(const Candidate &o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::vector<Candidate> storage;
    storage.reserve(n);
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap(std::greater<Candidate>(),
                                                                                         std::move(storage));
    const auto push_pair = [&](int32_t pos) {
        if (pos < 0 || next[pos] < 0) return;
        int32_t rank = 0, merged = 0;
        if (merges.find(sym[pos], sym[next[pos]], &rank, &merged))
            heap.push(Candidate{rank, pos, sym[pos], sym[next[pos]], merged});
    };
    for (int32_t p = 0; p + 1 < n; ++p) push_pair(p);

    std::vector<bool> alive(n, true);
    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        // Stale if either symbol changed since the candidate was made (a merged symbol always has a new id).
        if (!alive[c.pos] || sym[c.pos] != c.left) continue;
        const int32_t r = next[c.pos];
        if (r < 0 || sym[r] != c.right) continue;
        sym[c.pos] = c.merged;
        alive[r] = false;
        next[c.pos] = next[r];
        if (next[r] >= 0) prev[next[r]] = c.pos;
        push_pair(prev[c.pos]);
        push_pair(c.pos);
    }
    int32_t out = 0;
    for (int32_t p = 0; p >= 0; p = next[p]) sym[out++] = sym[p];
    sym.resize(out);
}

void bpe_merge_naive(const BpeMergeTable &merges, std::vector<int32_t> *ids) {
    std::vector<int32_t> &sym = *ids;
    while (sym.size() >= 2) {
        int32_t best_rank = INT32_MAX, best_merged = -1;
        size_t best_pos = 0;
        for (size_t p = 0; p + 1 < sym.size(); ++p) {
            int32_t rank = 0, merged = 0;
            if (merges.find(sym[p], sym[p + 1], &rank, &merged) && rank < best_rank) {
                best_rank = rank;
                best_merged = merged;
                best_pos = p;
            }
        }
        if (best_merged < 0) break;
        sym[best_pos] = best_merged;
        sym.erase(sym.begin() + (ptrdiff_t)best_pos + 1);
    }
}

}  // namespace gpt2
