// kv_cache.cpp — allocation and stores of the per-sequence K/V caches (layout in kv_cache.h).
#include "model/kv_cache.h"

#include <cstring>

#include "kernels/matmul.h"
#include "tensor/quant.h"

namespace gpt2 {

void kv_ensure(const KvLayout &layout, SeqCache &sc) {
    if (sc.k) return;
    const size_t bytes = layout.seq_elems() * layout.elem_bytes();
    sc.k.reset(new unsigned char[bytes]);
    sc.v.reset(new unsigned char[bytes]);
}

void kv_store(const KvLayout &layout, SeqCache &sc, int64_t layer, int64_t pos, const float *k, const float *v,
              CpuPath path) {
    const int64_t hs = layout.hs;
    for (int64_t h = 0; h < layout.n_head; ++h) {
        const size_t at = layout.head_offset(layer, h) + (size_t)(pos * hs);
        if (layout.type == KvType::f32) {
            std::memcpy((float *)sc.k.get() + at, k + h * hs, (size_t)hs * sizeof(float));
            std::memcpy((float *)sc.v.get() + at, v + h * hs, (size_t)hs * sizeof(float));
        } else if (path == CpuPath::scalar) {
            convert_row_f32_to_f16(k + h * hs, (uint16_t *)sc.k.get() + at, hs);
            convert_row_f32_to_f16(v + h * hs, (uint16_t *)sc.v.get() + at, hs);
        } else {
            convert_row_f32_to_f16_avx2(k + h * hs, (uint16_t *)sc.k.get() + at, hs);
            convert_row_f32_to_f16_avx2(v + h * hs, (uint16_t *)sc.v.get() + at, hs);
        }
    }
}

}  // namespace gpt2
