// kv_cache.cpp — allocation and stores of the per-sequence K/V caches (layout in kv_cache.h).
#include "model/kv_cache.h"

#include <cstring>

#include "gpt2.h"
#include "kernels/matmul.h"
#include "tensor/quant.h"

namespace gpt2 {

int32_t kv_type_api(KvType type) {
    return type == KvType::f32 ? GPT2_KV_F32 : type == KvType::f16 ? GPT2_KV_F16 : GPT2_KV_Q8_0;
}

KvType kv_type_from_api(int32_t kv_type) {
    return kv_type == GPT2_KV_F32 ? KvType::f32 : kv_type == GPT2_KV_F16 ? KvType::f16 : KvType::q8_0;
}

void kv_ensure(const KvLayout &layout, SeqCache &sc) {
    if (sc.k) return;
    const size_t bytes = layout.seq_bytes();
    sc.k.reset(new unsigned char[bytes]);
    sc.v.reset(new unsigned char[bytes]);
}

void kv_store(const KvLayout &layout, SeqCache &sc, int64_t layer, int64_t pos, const float *k, const float *v,
              CpuPath path) {
    const int64_t hs = layout.hs;
    const size_t row = layout.row_bytes();
    for (int64_t h = 0; h < layout.n_head; ++h) {
        unsigned char *kr = sc.k.get() + layout.head_offset(layer, h) + (size_t)pos * row;
        unsigned char *vr = sc.v.get() + layout.head_offset(layer, h) + (size_t)pos * row;
        if (layout.type == KvType::f32) {
            std::memcpy(kr, k + h * hs, row);
            std::memcpy(vr, v + h * hs, row);
        } else if (layout.type == KvType::q8_0) {
            const QuantizeRowQ8Fn round_row = quantize_row_q8_0_kernel(path);
            round_row(k + h * hs, (block_q8_0 *)kr, hs);
            round_row(v + h * hs, (block_q8_0 *)vr, hs);
        } else if (path == CpuPath::scalar) {
            convert_row_f32_to_f16(k + h * hs, (uint16_t *)kr, hs);
            convert_row_f32_to_f16(v + h * hs, (uint16_t *)vr, hs);
        } else {
            convert_row_f32_to_f16_avx2(k + h * hs, (uint16_t *)kr, hs);
            convert_row_f32_to_f16_avx2(v + h * hs, (uint16_t *)vr, hs);
        }
    }
}

// One (layer, head) run of N_POS positions moves as one memcpy: head-major layouts keep it contiguous on both sides.
namespace {
void copy_heads(const KvLayout &layout, int64_t src_ctx, const unsigned char *src, int64_t dst_ctx,
                unsigned char *dst, int32_t n_pos) {
    const size_t row = layout.row_bytes();
    for (int64_t lh = 0; lh < layout.n_layer * layout.n_head; ++lh) {
        std::memcpy(dst + (size_t)(lh * dst_ctx) * row, src + (size_t)(lh * src_ctx) * row, (size_t)n_pos * row);
    }
}
}  // namespace

void kv_copy_prefix(const KvLayout &layout, const SeqCache &src, SeqCache &dst, int32_t n_pos) {
    copy_heads(layout, layout.n_ctx, src.k.get(), layout.n_ctx, dst.k.get(), n_pos);
    copy_heads(layout, layout.n_ctx, src.v.get(), layout.n_ctx, dst.v.get(), n_pos);
}

void kv_snapshot_save(const KvLayout &layout, const SeqCache &sc, int32_t n_pos, KvSnapshot &snap) {
    snap.layout = layout;
    snap.n_pos = n_pos;
    const size_t half = snap.bytes() / 2;
    snap.k.reset(new unsigned char[half > 0 ? half : 1]);
    snap.v.reset(new unsigned char[half > 0 ? half : 1]);
    if (n_pos == 0) return;
    copy_heads(layout, layout.n_ctx, sc.k.get(), n_pos, snap.k.get(), n_pos);
    copy_heads(layout, layout.n_ctx, sc.v.get(), n_pos, snap.v.get(), n_pos);
}

void kv_snapshot_restore(const KvLayout &layout, const KvSnapshot &snap, int32_t n_pos, SeqCache &sc) {
    copy_heads(layout, snap.n_pos, snap.k.get(), layout.n_ctx, sc.k.get(), n_pos);
    copy_heads(layout, snap.n_pos, snap.v.get(), layout.n_ctx, sc.v.get(), n_pos);
}

}  // namespace gpt2
