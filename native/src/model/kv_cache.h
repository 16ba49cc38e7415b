// kv_cache.h — the per-sequence key/value caches of a context: layout, element type, and the two things the
// forward pass does with them (store one entry's K and V; find one head's keys and values).
//
// Layout: head-major, (L, NH, n_ctx, hs) for K and the same for V, so the keys of one head are contiguous and
// attention streams them one row (one position of one head) after another. Element type: f16 by default (half
// the memory and, for a long context, half the bytes each decode step reads: GPT-2 124M at n_ctx 1024 holds
// 36 MiB per sequence instead of 72), f32 for models whose matrices are f32 (so their logits stay those of an
// all-f32 forward pass), or, when asked, q8_0: each row as hs/32 blocks of 32 int8 and an fp16 scale (19 MiB).
// Caches are allocated on a sequence's first decode, left uninitialised (position p is always written before
// attention reads it, and untouched pages of a long context cost no memory), and kept until the context is
// freed (seq_clear only resets the length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/cpu_features.h"

namespace gpt2 {

enum class KvType { f32, f16, q8_0 };

// The C API's gpt2_kv_type of a KvType, and back (for F32, F16 and Q8_0).
int32_t kv_type_api(KvType type);
KvType kv_type_from_api(int32_t kv_type);

constexpr int64_t kMaxKvQ8HeadSize = 256;   // largest head size a q8_0 cache accepts (GPT-2's are all 64)

struct KvLayout {
    int64_t n_layer = 0, n_head = 0, n_ctx = 0, hs = 0;
    KvType type = KvType::f32;

    // bytes of one row: one position of one head
    size_t row_bytes() const {
        return type == KvType::f32 ? (size_t)hs * 4 : type == KvType::f16 ? (size_t)hs * 2 : (size_t)(hs / 32) * 34;
    }
    // bytes of K (or V) per sequence
    size_t seq_bytes() const { return (size_t)(n_layer * n_head * n_ctx) * row_bytes(); }
    // byte offset of (layer, head, position 0)
    size_t head_offset(int64_t layer, int64_t h) const { return (size_t)((layer * n_head + h) * n_ctx) * row_bytes(); }
};

struct SeqCache {
    std::unique_ptr<unsigned char[]> k;   // seq_bytes() bytes in the layout's type; null until first use
    std::unique_ptr<unsigned char[]> v;
    int32_t n_pos = 0;                    // positions cached (the next token's position)
};

// Allocates SC's caches if it has none yet.
void kv_ensure(const KvLayout &layout, SeqCache &sc);

// Stores one entry's K and V (each C = n_head * hs floats, heads side by side as the QKV matmul leaves them)
// at POS of LAYER, converted to the layout's type on PATH (F16C, or the AVX2 q8_0 rounding, where the path has
// it; both bit-identical to the scalar conversions).
void kv_store(const KvLayout &layout, SeqCache &sc, int64_t layer, int64_t pos, const float *k, const float *v,
              CpuPath path);

// Copies positions [0, n_pos) of every layer and head from SRC to DST (both allocated, same layout).
void kv_copy_prefix(const KvLayout &layout, const SeqCache &src, SeqCache &dst, int32_t n_pos);

// A sequence's first n_pos positions in a buffer of their own, packed (L, NH, n_pos, hs) in the layout's type:
// exactly n_pos * bytes_per_position() bytes, so a prompt cache can hold many prefixes and charge each its size.
struct KvSnapshot {
    KvLayout layout;                      // of the context it came from (n_ctx is that context's)
    const void *model = nullptr;          // identity of the model whose K/V these are
    int32_t n_pos = 0;
    std::unique_ptr<unsigned char[]> k;
    std::unique_ptr<unsigned char[]> v;

    size_t bytes_per_position() const { return 2 * (size_t)(layout.n_layer * layout.n_head) * layout.row_bytes(); }
    size_t bytes() const { return (size_t)n_pos * bytes_per_position(); }
};

// Packs SC's first n_pos positions into SNAP (allocating it); and unpacks SNAP's first n_pos into SC (allocated,
// layout with the same n_layer, n_head, hs and type, n_pos <= its n_ctx).
void kv_snapshot_save(const KvLayout &layout, const SeqCache &sc, int32_t n_pos, KvSnapshot &snap);
void kv_snapshot_restore(const KvLayout &layout, const KvSnapshot &snap, int32_t n_pos, SeqCache &sc);

}  // namespace gpt2
