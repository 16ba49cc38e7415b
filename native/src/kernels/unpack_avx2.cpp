// unpack_avx2.cpp — AVX2 unpackers for Q4_K, Q5_K, Q6_K and Q5_0: the same int8 quants and per-16 scales as
// the scalar unpack_row_* in tensor/quant_ggml_types.cpp (test_kernels compares them bit for bit), 32 weights
// per instruction instead of one. Compiled with -mavx2 -mfma -mf16c.
#include <immintrin.h>

#include "kernels/matmul_unpacked.h"

// No inline functions from other headers are used here (see matmul_quant_avx2.cpp).

namespace gpt2 {

namespace {

inline __m256i load32(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
inline void store32(int8_t *p, __m256i v) { _mm256_storeu_si256((__m256i *)p, v); }

// 0x10 in every byte whose BIT is set in H, else 0.
inline __m256i bit_to_16(__m256i h, __m256i bit) {
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit), _mm256_set1_epi8(0x10));
}

// Q4_K/Q5_K: the 8 scale/min pairs from the 12 packed bytes, each written twice (one entry per 16 weights), as
// unpack_scales_k4 does. As 32-bit words: bytes 0-3 hold scales 0-3 (low 6 bits) and the top 2 bits of scales
// 4-7, bytes 4-7 the same for the mins, bytes 8-11 the low nibbles of scales 4-7 and (high nibbles) mins 4-7.
inline void scales_k4(const uint8_t *packed, float d, float dmin, float *scale, float *min) {
    const __m128i words = _mm_loadu_si128((const __m128i *)packed);   // 12 bytes used, 4 bytes of the quants
    const uint32_t u0 = (uint32_t)_mm_cvtsi128_si32(words), u1 = (uint32_t)_mm_extract_epi32(words, 1),
                   u2 = (uint32_t)_mm_extract_epi32(words, 2);
    const uint32_t sc_lo = u0 & 0x3f3f3f3fu, mn_lo = u1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
    const __m256i lo_pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    const __m256i hi_pairs = _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7);
    const __m256i sc = _mm256_cvtepu8_epi32(_mm_setr_epi32((int)sc_lo, (int)sc_hi, 0, 0));
    const __m256i mn = _mm256_cvtepu8_epi32(_mm_setr_epi32((int)mn_lo, (int)mn_hi, 0, 0));
    const __m256 s = _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sc));
    const __m256 m = _mm256_mul_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(mn));
    _mm256_storeu_ps(scale, _mm256_permutevar8x32_ps(s, lo_pairs));
    _mm256_storeu_ps(scale + 8, _mm256_permutevar8x32_ps(s, hi_pairs));
    _mm256_storeu_ps(min, _mm256_permutevar8x32_ps(m, lo_pairs));
    _mm256_storeu_ps(min + 8, _mm256_permutevar8x32_ps(m, hi_pairs));
}

}  // namespace

void unpack_row_q4_K_avx2(const void *x_, int64_t n, int8_t *q, float *scale, float *min) {
    const block_q4_K *x = (const block_q4_K *)x_;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < n / QK_K; ++i, scale += 16, min += 16) {
        scales_k4(x[i].scales, _cvtsh_ss(x[i].d), _cvtsh_ss(x[i].dmin), scale, min);
        for (int r = 0; r < 4; ++r, q += 64) {
            const __m256i v = load32(x[i].qs + 32 * r);
            store32(q, _mm256_and_si256(v, low4));
            store32(q + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
        }
    }
}

void unpack_row_q5_K_avx2(const void *x_, int64_t n, int8_t *q, float *scale, float *min) {
    const block_q5_K *x = (const block_q5_K *)x_;
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < n / QK_K; ++i, scale += 16, min += 16) {
        scales_k4(x[i].scales, _cvtsh_ss(x[i].d), _cvtsh_ss(x[i].dmin), scale, min);
        const __m256i h = load32(x[i].qh);
        for (int r = 0; r < 4; ++r, q += 64) {
            const __m256i v = load32(x[i].qs + 32 * r);
            const __m256i lo_bit = _mm256_set1_epi8((char)(1u << (2 * r)));
            const __m256i hi_bit = _mm256_set1_epi8((char)(2u << (2 * r)));
            store32(q, _mm256_or_si256(_mm256_and_si256(v, low4), bit_to_16(h, lo_bit)));
            store32(q + 32, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4), bit_to_16(h, hi_bit)));
        }
    }
}

void unpack_row_q6_K_avx2(const void *x_, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    const block_q6_K *x = (const block_q6_K *)x_;
    const __m256i low4 = _mm256_set1_epi8(0x0f), bits45 = _mm256_set1_epi8(0x30), off = _mm256_set1_epi8(32);
    for (int64_t i = 0; i < n / QK_K; ++i) {
        // two halves of 128 weights; qh's 2-bit pairs 0-1, 2-3, 4-5, 6-7 go to weights l, l+32, l+64, l+96
        for (int half = 0; half < 2; ++half, q += 128) {
            const __m256i l0 = load32(x[i].ql + 64 * half), l1 = load32(x[i].ql + 64 * half + 32);
            const __m256i h = load32(x[i].qh + 32 * half);
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(h, 4), bits45));
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(h, 2), bits45));
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(h, bits45));
            const __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(h, 2), bits45));
            store32(q, _mm256_sub_epi8(q1, off));
            store32(q + 32, _mm256_sub_epi8(q2, off));
            store32(q + 64, _mm256_sub_epi8(q3, off));
            store32(q + 96, _mm256_sub_epi8(q4, off));
        }
        const float d = _cvtsh_ss(x[i].d);
        for (int j = 0; j < 16; ++j) *scale++ = d * (float)x[i].scales[j];
    }
}

void unpack_row_q5_0_avx2(const void *x_, int64_t n, int8_t *q, float *scale, float * /*min*/) {
    const block_q5_0 *x = (const block_q5_0 *)x_;
    const __m128i low4 = _mm_set1_epi8(0x0f);
    // byte j of the 32 takes byte j/8 of qh and tests bit j%8
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i off = _mm256_set1_epi8(16);
    for (int64_t i = 0; i < n / QK5_0; ++i, q += QK5_0) {
        const __m128i v = _mm_loadu_si128((const __m128i *)x[i].qs);
        const __m256i nib = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low4), _mm_and_si128(v, low4));
        const __m256i h = _mm256_shuffle_epi8(_mm256_set1_epi32(_mm_cvtsi128_si32(_mm_loadu_si32(x[i].qh))), pick);
        store32(q, _mm256_sub_epi8(_mm256_or_si256(nib, bit_to_16(h, bit)), off));
        scale[2 * i] = scale[2 * i + 1] = _cvtsh_ss(x[i].d);
    }
}

}  // namespace gpt2
