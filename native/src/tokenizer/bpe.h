// bpe.h — byte-pair merging of one pre-token: a table of merges keyed by the (left, right) token id pair,
// and the merge loop (lowest rank first, leftmost on ties — Hugging Face's order). bpe_merge is
// O(n log n) in the piece length; bpe_merge_naive is O(n^2) without allocations: the reference the tests
// compare bpe_merge with, and the faster choice for short pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpt2 {

// Open-addressing hash table (left id, right id) -> (rank, merged id). Read-only after building.
class BpeMergeTable {
public:
    void reserve(size_t n_merges);
    // Adds a merge unless the pair is already present (the first, lowest rank, wins). Returns false if present.
    bool add(int32_t left, int32_t right, int32_t rank, int32_t merged);
    // Rank and merged id of the pair, or false if the pair never merges.
    bool find(int32_t left, int32_t right, int32_t *rank, int32_t *merged) const;
    size_t size() const { return n_; }

private:
    struct Slot {
        uint64_t key;    // (left << 32) | right; EMPTY when unused
        int32_t rank;
        int32_t merged;
    };
    std::vector<Slot> slots_;
    size_t n_ = 0;
    void grow();
};

// IDS: the piece's initial symbols (byte tokens), replaced by the merged tokens.
void bpe_merge(const BpeMergeTable &merges, std::vector<int32_t> *ids);
void bpe_merge_naive(const BpeMergeTable &merges, std::vector<int32_t> *ids);

}  // namespace gpt2
