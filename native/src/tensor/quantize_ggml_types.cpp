// quantize_ggml_types.cpp — our quantizers for the further GGUF types (Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), writing
// ggml's exact block layouts (quant.h) so llama.cpp reads the files. The rounding is our own: for each block or
// sub-block a small grid of candidate scales, each refined by least squares on the integer levels it picked, and
// the candidate with the least (for some types importance-weighted) squared error wins; q3_K and q2_K, whose
// KL that search made worse, use the narrower searches described at their functions. The k-quants then round
// their sub-block scales (and mins) to 4, 6 or 8 bits of the super-block scale, and the weights are re-rounded
// with the scales actually stored.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

#include "tensor/quant.h"
#include "tensor/tensor.h"

namespace gpt2 {

namespace {

// Which fits weight each error by the weight's importance (importance() below) and which count all errors
// alike: chosen by KL divergence against f32 on held-out text (bench/quant-quality.sh, trained model in ../shared),
// not by squared error, which the two do not always agree on. Weighting helped q5_0 (KL 0.00171 -> 0.00100) and
// hurt q4_1 (0.00240 -> 0.00465), q4_K (0.00225 -> 0.00248) and q6_K (0.00023 -> 0.00041).
constexpr bool K_AFFINE_WEIGHTED = false;   // q4_K, q5_K sub-blocks
constexpr bool AFFINE_WEIGHTED = false;     // q4_1, q5_1
constexpr bool Q5_0_WEIGHTED = true;
constexpr bool Q6_K_WEIGHTED = false;
// Rounds of the super-block (d, dmin) refit of q5_K without an imatrix (quantize_k_affine): KL 0.00097 -> 0.00080
// on the table's text and 0.00089 -> 0.00077 on the rest of the held-out text; on q4_K it raised both (0.00256 ->
// 0.00260, 0.00236 -> 0.00252), and weighted by an imatrix it raised q5_K's (0.00077 -> 0.00108), so those keep
// the nearest-or-neighbour scales alone.
constexpr int K5_SUPER_REFIT = 4;
constexpr bool Q3_K_WEIGHTED = true;       // with an imatrix; without, q3_K weights by x^2 (q2_K: see its function)
// Q2_K with an imatrix: each sub-block's 4-bit scale and min are searched within this many codes of the nearest,
// by the imatrix-weighted squared error. KL against f32 with the imatrix (bench/quant-quality.sh's text with the
// imatrix of the rest, + the rest with an imatrix of the first 50,000 bytes; without an imatrix .0451 + .0427):
// nearest .0348 + .0338, +-1 .0363 + .0383, +-2 .0322 + .0325, +-3 .0309 + .0322, +-5 .0329 + .0349, all 16 x 16
// .0336 + .0358. Without an imatrix the nearest stay (a neighbour search measured worse, as q3_K's).
constexpr int Q2_K_IMATRIX_CODES = 3;
constexpr int SYM_STEPS = 8;                // candidate scales vmax / (qmin -+ 0.1 k), k = 0..SYM_STEPS
constexpr float SYM_DELTA = 0.1f;

int nearest(float v, int lo, int hi) {
    if (!(v == v)) return lo;
    const float r = std::nearbyint(v);
    if (r <= (float)lo) return lo;
    if (r >= (float)hi) return hi;
    return (int)r;
}

float as_half(float v) { return fp16_to_fp32(fp32_to_fp16(v)); }

// How much each weight's rounding error counts: x^2 plus a floor of an eighth of the block's mean square, so the
// large weights (which steer a layer's output most) are kept precise and the small ones still count.
void importance(const float *x, int n, float *w) {
    double ms = 0;
    for (int i = 0; i < n; ++i) ms += (double)x[i] * x[i];
    const float floor = (float)(ms / n / 8.0);
    for (int i = 0; i < n; ++i) w[i] = x[i] * x[i] + floor + 1e-30f;
}

// The weight of each of N rounding errors of a block. With an importance matrix, QW holds the mean square of
// the input each weight multiplies (an error e in weight i moves the output by e * x_i, so qw_i * e^2 is its
// expected squared output error); for the types whose fits weight by size (the flags above) the weight's own
// size still counts, as sqrt(block mean square + x^2). Without one: importance() where the flag says so, else 1.
void error_weights(const float *x, const float *qw, int n, bool weighted, float *w) {
    if (qw) {
        double ms = 0;
        for (int i = 0; i < n; ++i) ms += (double)x[i] * x[i];
        const float sigma2 = (float)(ms / n);
        for (int i = 0; i < n; ++i) {
            w[i] = qw[i] * (weighted ? std::sqrt(sigma2 + x[i] * x[i]) : 1.0f) + 1e-30f;
        }
    } else if (weighted) {
        importance(x, n, w);
    } else {
        for (int i = 0; i < n; ++i) w[i] = 1.0f;
    }
}

// x ~ s * q + b with q in [0, nmax], each error weighted by w; with NONPOS_B, b <= 0 (the k-quants store -b as an unsigned min). With
// HALF, candidates are judged with s and b rounded to fp16, as the block will store them. Candidate scales are
// range / (nmax + 0.1 k), k = STEP_LO..STEP_HI; with MAD they are judged by weighted absolute error instead of squared.
// Returns the error of the best fit.
float fit_affine(const float *x, const float *w, int n, int nmax, bool nonpos_b, bool half, float *s_out,
                 float *b_out, int step_lo = -6, int step_hi = 6, bool mad = false) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; ++i) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (nonpos_b && lo > 0) lo = 0;
    if (hi - lo <= 0) {
        *s_out = 0;
        *b_out = lo;
        float err = 0;
        for (int i = 0; i < n; ++i) err += w[i] * (x[i] - lo) * (x[i] - lo);
        return err;
    }
    float best = INFINITY, best_s = (hi - lo) / nmax, best_b = lo;
    int q[QK_K];
    double W = 0;
    for (int i = 0; i < n; ++i) W += w[i];
    for (int step = step_lo; step <= step_hi; ++step) {
        float s = (hi - lo) / ((float)nmax + 0.1f * (float)step);
        float b = lo;
        for (int iter = 0; iter < 3; ++iter) {
            const float is = 1.0f / s;
            double A = 0, B = 0, D = 0, E = 0;
            for (int i = 0; i < n; ++i) {
                q[i] = nearest((x[i] - b) * is, 0, nmax);
                A += (double)w[i] * q[i] * q[i];
                B += (double)w[i] * q[i];
                D += (double)w[i] * q[i] * x[i];
                E += (double)w[i] * x[i];
            }
            // weighted least squares for (s, b) given q; b clamped to <= 0 where required
            const double det = A * W - B * B;
            double ns, nb;
            if (det > 0) {
                ns = (D * W - B * E) / det;
                nb = (A * E - B * D) / det;
            } else {
                ns = s;
                nb = b;
            }
            if (nonpos_b && nb > 0) {
                nb = 0;
                ns = A > 0 ? D / A : s;
            }
            if (!(ns > 0)) break;
            s = (float)ns;
            b = (float)nb;
        }
        const float es = half ? as_half(s) : s, eb = half ? as_half(b) : b;
        if (!(es > 0)) continue;
        const float is = 1.0f / es;
        float err = 0;
        for (int i = 0; i < n; ++i) {
            const float d = es * (float)nearest((x[i] - eb) * is, 0, nmax) + eb - x[i];
            err += w[i] * (mad ? std::fabs(d) : d * d);
        }
        if (err < best) {
            best = err;
            best_s = s;
            best_b = b;
        }
    }
    *s_out = best_s;
    *b_out = best_b;
    return best;
}

// The value of largest magnitude among x[0, n), with its sign (the first one on a tie; 0 for all zeros).
float signed_amax(const float *x, int n) {
    float amax = 0, vmax = 0;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            vmax = x[i];
        }
    }
    return vmax;
}

// x ~ s * q with q in [qmin, qmax] (qmin < 0 < qmax), each error weighted by w; s may be negative so that the largest magnitude can use
// the longer side of the range. HALF as for fit_affine. Returns the best s.
float fit_symmetric(const float *x, const float *w, int n, int qmin, int qmax, bool half) {
    const float vmax = signed_amax(x, n), amax = std::fabs(vmax);
    if (amax == 0) return 0;
    float best = INFINITY, best_s = vmax / (float)qmin;
    for (int step = -SYM_STEPS; step <= SYM_STEPS; ++step) {
        float s = vmax / ((float)qmin + SYM_DELTA * (float)step * (qmin < 0 ? -1.0f : 1.0f));
        for (int iter = 0; iter < 2; ++iter) {
            const float is = 1.0f / s;
            double num = 0, den = 0;
            for (int i = 0; i < n; ++i) {
                const int q = nearest(x[i] * is, qmin, qmax);
                num += (double)w[i] * q * x[i];
                den += (double)w[i] * q * q;
            }
            if (den <= 0) break;
            s = (float)(num / den);
        }
        const float es = half ? as_half(s) : s;
        if (es == 0 || !(es == es)) continue;
        const float is = 1.0f / es;
        float err = 0;
        for (int i = 0; i < n; ++i) {
            const float d = es * (float)nearest(x[i] * is, qmin, qmax) - x[i];
            err += w[i] * d * d;
        }
        if (err < best) {
            best = err;
            best_s = s;
        }
    }
    return best_s;
}

void store_u32(uint8_t *p, uint32_t v) { std::memcpy(p, &v, 4); }

// Q4_K/Q5_K: packs eight 6-bit scales and mins into the 12 bytes scale_min_k4 reads.
void pack_scales_k4(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[12]) {
    for (int j = 0; j < 4; ++j) {
        out[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        out[j + 4] = (uint8_t)((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        out[j + 8] = (uint8_t)((sc[j + 4] & 0x0f) | ((mn[j + 4] & 0x0f) << 4));
    }
}

// The k-quants' second level for affine sub-blocks: among the integer scale and min codes within RANGE of
// (*SC, *MN) (each in 0..MAX_CODE, of the super-block's DQ and DMINQ), the pair whose re-rounded LEN weights x
// (levels 0..NMAX) lose the least squared error, weighted by W (null: all alike). Writes it to *SC, *MN.
void nearby_scale_min(const float *x, const float *w, int len, int nmax, float dq, float dminq, int range,
                      int max_code, int *sc, int *mn) {
    const int s0 = *sc, m0 = *mn;
    float best = INFINITY;
    for (int cs = s0 - range; cs <= s0 + range; ++cs) {
        for (int cm = m0 - range; cm <= m0 + range; ++cm) {
            if (cs < 0 || cs > max_code || cm < 0 || cm > max_code) continue;
            const float step = dq * (float)cs, off = dminq * (float)cm;
            float err = 0;
            for (int l = 0; l < len; ++l) {
                const float r = (step > 0 ? step * (float)nearest((x[l] + off) / step, 0, nmax) : 0.0f) - off - x[l];
                err += (w ? w[l] : 1.0f) * r * r;
            }
            if (err < best) {
                best = err;
                *sc = cs;
                *mn = cm;
            }
        }
    }
}

// The common part of Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scale and min; fills q (0..nmax) per weight.
void quantize_k_affine(const float *x, const float *qw, int nmax, uint16_t *d16, uint16_t *dmin16, uint8_t scales[12],
                       uint8_t *q) {
    float s[8], m[8], w[QK_K];
    float smax = 0, mmax = 0;
    for (int j = 0; j < 8; ++j) {
        float b;
        error_weights(x + 32 * j, qw ? qw + 32 * j : nullptr, 32, K_AFFINE_WEIGHTED, w + 32 * j);
        fit_affine(x + 32 * j, w + 32 * j, 32, nmax, true, false, &s[j], &b);
        m[j] = -b;
        smax = s[j] > smax ? s[j] : smax;
        mmax = m[j] > mmax ? m[j] : mmax;
    }
    const float d = smax / 63.0f, dmin = mmax / 63.0f;
    *d16 = fp32_to_fp16(d);
    *dmin16 = fp32_to_fp16(dmin);
    const float dq = fp16_to_fp32(*d16), dminq = fp16_to_fp32(*dmin16);
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; ++j) {
        // the 6-bit scale and min nearest to the fit, or a neighbour of them if that loses less to rounding
        // (weighted with an imatrix; without one all alike: as tuned)
        int cs = dq > 0 ? nearest(s[j] / dq, 0, 63) : 0, cm = dminq > 0 ? nearest(m[j] / dminq, 0, 63) : 0;
        nearby_scale_min(x + 32 * j, qw ? w + 32 * j : nullptr, 32, nmax, dq, dminq, 1, 63, &cs, &cm);
        sc[j] = (uint8_t)cs;
        mn[j] = (uint8_t)cm;
    }
    // Q5_K without an imatrix: with the 6-bit scales and mins fixed, the super-block's d and dmin refit by least
    // squares over all 256 weights on the levels they give, kept while the rounded pair loses less
    float dq2 = dq, dminq2 = dminq;
    if (nmax == 31 && K5_SUPER_REFIT > 0 && !qw) {
        auto total = [&](float dd, float mm) {
            float err = 0;
            for (int j = 0; j < 8; ++j) {
                const float step = dd * (float)sc[j], off = mm * (float)mn[j];
                for (int l = 0; l < 32; ++l) {
                    const float v = x[32 * j + l];
                    const float r = (step > 0 ? step * (float)nearest((v + off) / step, 0, nmax) : 0.0f) - off - v;
                    err += r * r;
                }
            }
            return err;
        };
        float best = total(dq2, dminq2);
        for (int it = 0; it < K5_SUPER_REFIT; ++it) {
            double saa = 0, sab = 0, sbb = 0, sxa = 0, sxb = 0;
            for (int j = 0; j < 8; ++j) {
                const float step = dq2 * (float)sc[j], off = dminq2 * (float)mn[j];
                for (int l = 0; l < 32; ++l) {
                    const float v = x[32 * j + l];
                    const double a = (double)sc[j] * (step > 0 ? nearest((v + off) / step, 0, nmax) : 0), b = mn[j];
                    saa += a * a;
                    sab += a * b;
                    sbb += b * b;
                    sxa += v * a;
                    sxb += v * b;
                }
            }
            const double det = saa * sbb - sab * sab;
            if (!(det > 0)) break;
            const double nd = (sxa * sbb - sxb * sab) / det, nm = (sxa * sab - sxb * saa) / det;
            if (!(nd > 0) || nm < 0) break;
            const uint16_t hd = fp32_to_fp16((float)nd), hm = fp32_to_fp16((float)nm);
            const float e = total(fp16_to_fp32(hd), fp16_to_fp32(hm));
            if (!(e < best)) break;
            best = e;
            *d16 = hd;
            *dmin16 = hm;
            dq2 = fp16_to_fp32(hd);
            dminq2 = fp16_to_fp32(hm);
        }
    }
    pack_scales_k4(sc, mn, scales);
    for (int j = 0; j < 8; ++j) {
        const float step = dq2 * (float)sc[j], off = dminq2 * (float)mn[j];
        for (int l = 0; l < 32; ++l) {
            q[32 * j + l] = (uint8_t)(step > 0 ? nearest((x[32 * j + l] + off) / step, 0, nmax) : 0);
        }
    }
}

int nearest_iq4(float v) {   // index of the level nearest to V (in units of d)
    int best = 0;
    float bd = INFINITY;
    for (int k = 0; k < 16; ++k) {
        const float e = std::fabs(v - (float)IQ4_NL_LEVELS[k]);
        if (e < bd) {
            bd = e;
            best = k;
        }
    }
    return best;
}

// Q2_K/Q3_K: byte (32 h + 16 p + l) holds, at bits 2 s, the 2 low bits of weight 128 h + 32 s + 16 p + l.
void pack_2bit(const int *low2, uint8_t qs[QK_K / 4]) {
    std::memset(qs, 0, QK_K / 4);
    for (int h = 0; h < 2; ++h)
        for (int sft = 0; sft < 4; ++sft)
            for (int p = 0; p < 2; ++p)
                for (int l = 0; l < 16; ++l) {
                    qs[32 * h + 16 * p + l] |= (uint8_t)((low2[128 * h + 32 * sft + 16 * p + l] & 3) << (2 * sft));
                }
}

// Coordinate descent on the integer levels q of x ~ s * q with s at its weighted least-squares value: the error
// there is sum w x^2 - (sum w x q)^2 / sum w q^2, so each pass moves one level to the value the scale of the
// others asks for and keeps the move when it raises (sum w x q)^2 / sum w q^2. Returns that best s.
float refine_levels_symmetric(const float *x, const float *w, int n, int qmin, int qmax, int *q) {
    double sxq = 0, sqq = 0;
    for (int i = 0; i < n; ++i) {
        sxq += (double)w[i] * x[i] * q[i];
        sqq += (double)w[i] * q[i] * q[i];
    }
    for (int pass = 0; pass < 6; ++pass) {
        bool moved = false;
        for (int i = 0; i < n; ++i) {
            const double a = sxq - (double)w[i] * x[i] * q[i], b = sqq - (double)w[i] * q[i] * q[i];
            if (a == 0 || b <= 0) continue;
            const int nq = nearest((float)(x[i] * b / a), qmin, qmax);
            if (nq == q[i]) continue;
            const double a2 = a + (double)w[i] * x[i] * nq, b2 = b + (double)w[i] * nq * nq;
            if (b2 > 0 && a2 * a2 * sqq > sxq * sxq * b2) {
                q[i] = nq;
                sxq = a2;
                sqq = b2;
                moved = true;
            }
        }
        if (!moved) break;
    }
    return sqq > 0 ? (float)(sxq / sqq) : 0.0f;
}

// x ~ s * q with q in [qmin, qmax]: the scale that puts the largest magnitude exactly on qmin, its levels then
// refined by refine_levels_symmetric. Unlike fit_symmetric it does not try smaller scales that clip the
// extremes: on q3_K that search found lower weighted squared error and clearly higher KL (0.0134 against 0.0088).
float fit_symmetric_anchored(const float *x, const float *w, int n, int qmin, int qmax) {
    const float vmax = signed_amax(x, n), amax = std::fabs(vmax);
    if (amax == 0) return 0;
    const float s0 = vmax / (float)qmin;
    int q[QK_K];
    for (int i = 0; i < n; ++i) q[i] = nearest(x[i] / s0, qmin, qmax);
    const float s = refine_levels_symmetric(x, w, n, qmin, qmax, q);
    return s != 0 && s == s ? s : s0;
}

// Weighted squared error of LEN weights x rounded to levels qmin..qmax of STEP.
float symmetric_error(const float *x, const float *w, int len, int qmin, int qmax, float step) {
    float err = 0;
    if (step == 0) {
        for (int l = 0; l < len; ++l) err += w[l] * x[l] * x[l];
        return err;
    }
    const float is = 1.0f / step;
    for (int l = 0; l < len; ++l) {
        const float r = step * (float)nearest(x[l] * is, qmin, qmax) - x[l];
        err += w[l] * r * r;
    }
    return err;
}

// The second level of Q3_K: the sub-block scales S (each fit to its LEN weights, levels qmin..qmax) become signed
// integers c in [cmin, cmax] of one fp16 d, each the nearest. d puts the largest scale either on the longer
// (negative) end or on the positive end, whichever loses less weighted error. (Picking each c among the nearest
// and its neighbours by weighted error lowered that error and raised KL from 0.0088 to 0.0104 on the trained
// model, bench/quant-quality.sh; trying ten more values of d, to 0.0092.)
void round_symmetric_scales(const float *x, const float *w, int nsub, int len, int qmin, int qmax, const float *S,
                            int cmin, int cmax, uint16_t *d16, int *c) {
    float smax = 0;
    for (int j = 0; j < nsub; ++j) smax = std::fabs(S[j]) > std::fabs(smax) ? S[j] : smax;
    *d16 = fp32_to_fp16(0.0f);
    for (int j = 0; j < nsub; ++j) c[j] = 0;
    if (smax == 0) return;
    float best_total = INFINITY;
    for (int side = 0; side < 2; ++side) {
        const uint16_t h = fp32_to_fp16(smax / (float)(side == 0 ? cmin : cmax));
        const float d = fp16_to_fp32(h);
        if (d == 0 || !(d == d)) continue;
        int cc[QK_K / 16];
        float total = 0;
        for (int j = 0; j < nsub; ++j) {
            cc[j] = nearest(S[j] / d, cmin, cmax);
            total += symmetric_error(x + len * j, w + len * j, len, qmin, qmax, d * (float)cc[j]);
        }
        if (total < best_total) {
            best_total = total;
            *d16 = h;
            for (int j = 0; j < nsub; ++j) c[j] = cc[j];
        }
    }
}

}  // namespace

void quantize_row_q4_0_weighted(const float *x, block_q4_0 *y, int64_t n, const float *qw) {
    float w[QK4_0];
    for (int64_t i = 0; i < n / QK4_0; ++i, x += QK4_0) {
        error_weights(x, qw + i * QK4_0, QK4_0, true, w);
        y[i].d = fp32_to_fp16(fit_symmetric(x, w, QK4_0, -8, 7, true));
        const float d = fp16_to_fp32(y[i].d);
        for (int j = 0; j < QK4_0 / 2; ++j) {
            const int q0 = (d != 0 ? nearest(x[j] / d, -8, 7) : 0) + 8;
            const int q1 = (d != 0 ? nearest(x[j + 16] / d, -8, 7) : 0) + 8;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void quantize_row_q4_1_ref(const float *x, block_q4_1 *y, int64_t n, const float *qw) {
    float w[QK4_1];
    for (int64_t i = 0; i < n / QK4_1; ++i, x += QK4_1) {
        float s, b;
        error_weights(x, qw ? qw + i * QK4_1 : nullptr, QK4_1, AFFINE_WEIGHTED, w);
        fit_affine(x, w, QK4_1, 15, false, true, &s, &b);
        y[i].d = fp32_to_fp16(s);
        y[i].m = fp32_to_fp16(b);
        const float d = fp16_to_fp32(y[i].d), m = fp16_to_fp32(y[i].m);
        for (int j = 0; j < QK4_1 / 2; ++j) {
            const int q0 = d > 0 ? nearest((x[j] - m) / d, 0, 15) : 0;
            const int q1 = d > 0 ? nearest((x[j + 16] - m) / d, 0, 15) : 0;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void quantize_row_q5_1_ref(const float *x, block_q5_1 *y, int64_t n, const float *qw) {
    float w[QK5_1];
    for (int64_t i = 0; i < n / QK5_1; ++i, x += QK5_1) {
        float s, b;
        error_weights(x, qw ? qw + i * QK5_1 : nullptr, QK5_1, AFFINE_WEIGHTED, w);
        fit_affine(x, w, QK5_1, 31, false, true, &s, &b);
        y[i].d = fp32_to_fp16(s);
        y[i].m = fp32_to_fp16(b);
        const float d = fp16_to_fp32(y[i].d), m = fp16_to_fp32(y[i].m);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_1 / 2; ++j) {
            const int q0 = d > 0 ? nearest((x[j] - m) / d, 0, 31) : 0;
            const int q1 = d > 0 ? nearest((x[j + 16] - m) / d, 0, 31) : 0;
            y[i].qs[j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + 16);
        }
        store_u32(y[i].qh, qh);
    }
}

void quantize_row_q5_0_ref(const float *x, block_q5_0 *y, int64_t n, const float *qw) {
    float w[QK5_0];
    for (int64_t i = 0; i < n / QK5_0; ++i, x += QK5_0) {
        error_weights(x, qw ? qw + i * QK5_0 : nullptr, QK5_0, Q5_0_WEIGHTED, w);
        y[i].d = fp32_to_fp16(fit_symmetric(x, w, QK5_0, -16, 15, true));
        const float d = fp16_to_fp32(y[i].d);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_0 / 2; ++j) {
            const int q0 = (d != 0 ? nearest(x[j] / d, -16, 15) : 0) + 16;
            const int q1 = (d != 0 ? nearest(x[j + 16] / d, -16, 15) : 0) + 16;
            y[i].qs[j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + 16);
        }
        store_u32(y[i].qh, qh);
    }
}

void quantize_row_q4_K_ref(const float *x, block_q4_K *y, int64_t n, const float *qw) {
    uint8_t q[QK_K];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        quantize_k_affine(x, qw ? qw + i * QK_K : nullptr, 15, &y[i].d, &y[i].dmin, y[i].scales, q);
        // run r: bytes hold sub-block 2r in the low nibbles and 2r + 1 in the high nibbles
        for (int r = 0; r < 4; ++r) {
            for (int l = 0; l < 32; ++l) y[i].qs[32 * r + l] = (uint8_t)(q[64 * r + l] | (q[64 * r + 32 + l] << 4));
        }
    }
}

void quantize_row_q5_K_ref(const float *x, block_q5_K *y, int64_t n, const float *qw) {
    uint8_t q[QK_K];
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        quantize_k_affine(x, qw ? qw + i * QK_K : nullptr, 31, &y[i].d, &y[i].dmin, y[i].scales, q);
        std::memset(y[i].qh, 0, sizeof y[i].qh);
        for (int r = 0; r < 4; ++r) {
            for (int l = 0; l < 32; ++l) {
                const int lo = q[64 * r + l], hi = q[64 * r + 32 + l];
                y[i].qs[32 * r + l] = (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4));
                y[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * r)) | ((hi >> 4) << (2 * r + 1)));
            }
        }
    }
}

void quantize_row_q2_K_ref(const float *x, block_q2_K *y, int64_t n, const float *qw) {
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float s[16], m[16], w[QK_K], smax = 0, mmax = 0;
        for (int j = 0; j < 16; ++j) {
            float b;
            float *wj = w + 16 * j;
            const float *xj = x + 16 * j;
            if (qw) {
                // the column's importance times the same sqrt|x| (KL 0.0480; with sqrt(sigma^2 + x^2) 0.0522)
                for (int l = 0; l < 16; ++l) wj[l] = qw[i * QK_K + 16 * j + l] * std::sqrt(std::fabs(xj[l])) + 1e-30f;
            } else {
                // sqrt|x|: flatter than |x| (KL 0.0568 -> 0.0490) and x^2 (0.107); all alike was 0.093
                for (int l = 0; l < 16; ++l) wj[l] = std::sqrt(std::fabs(xj[l])) + 1e-30f;
            }
            // scales from 2.5 to 4.5 steps over the sub-block's range, judged by weighted absolute error
            // (squared error: KL 0.0576 against 0.0568 with |x| weights)
            fit_affine(xj, wj, 16, 3, true, false, &s[j], &b, -5, 15, true);
            m[j] = -b;
            smax = s[j] > smax ? s[j] : smax;
            mmax = m[j] > mmax ? m[j] : mmax;
        }
        // 4-bit scales and mins, each the nearest (without an imatrix a neighbour search on the error measured
        // worse on KL, as q3_K's; with one, see Q2_K_IMATRIX_CODES)
        y[i].d = fp32_to_fp16(smax / 15.0f);
        y[i].dmin = fp32_to_fp16(mmax / 15.0f);
        const float dq = fp16_to_fp32(y[i].d), dminq = fp16_to_fp32(y[i].dmin);
        int q[QK_K];
        for (int j = 0; j < 16; ++j) {
            int sc = dq > 0 ? nearest(s[j] / dq, 0, 15) : 0, mn = dminq > 0 ? nearest(m[j] / dminq, 0, 15) : 0;
            // with an imatrix: the pair within Q2_K_IMATRIX_CODES of the nearest that loses the least weighted error
            if (qw) nearby_scale_min(x + 16 * j, w + 16 * j, 16, 3, dq, dminq, Q2_K_IMATRIX_CODES, 15, &sc, &mn);
            y[i].scales[j] = (uint8_t)(sc | (mn << 4));
            const float step = dq * (float)sc, off = dminq * (float)mn;
            for (int l = 0; l < 16; ++l) q[16 * j + l] = step > 0 ? nearest((x[16 * j + l] + off) / step, 0, 3) : 0;
        }
        // sub-block j of the dequantizer's order is weights 16 j .. 16 j + 15 in memory order
        pack_2bit(q, y[i].qs);
    }
}

void quantize_row_q3_K_ref(const float *x, block_q3_K *y, int64_t n, const float *qw) {
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float s[16], w[QK_K];
        for (int j = 0; j < 16; ++j) {
            float *wj = w + 16 * j;
            const float *xj = x + 16 * j;
            if (qw) {
                error_weights(xj, qw + i * QK_K + 16 * j, 16, Q3_K_WEIGHTED, wj);
            } else {
                for (int l = 0; l < 16; ++l) wj[l] = xj[l] * xj[l] + 1e-30f;
            }
            s[j] = fit_symmetric_anchored(xj, wj, 16, -4, 3);
        }
        int sc[16], q[QK_K];
        round_symmetric_scales(x, w, 16, 16, -4, 3, s, -32, 31, &y[i].d, sc);
        const float dq = fp16_to_fp32(y[i].d);
        for (int j = 0; j < 16; ++j) {
            const float step = dq * (float)sc[j];
            for (int l = 0; l < 16; ++l) q[16 * j + l] = step != 0 ? nearest(x[16 * j + l] / step, -4, 3) : 0;
        }
        // scales: 6 bits (offset 32); low nibbles in bytes 0-7 (two per byte), top 2 bits in bytes 8-11
        std::memset(y[i].scales, 0, sizeof y[i].scales);
        for (int j = 0; j < 16; ++j) {
            const int v = sc[j] + 32;
            if (j < 8) y[i].scales[j] |= (uint8_t)(v & 0x0f);
            else y[i].scales[j - 8] |= (uint8_t)((v & 0x0f) << 4);
            y[i].scales[8 + (j % 4)] |= (uint8_t)(((v >> 4) & 3) << (2 * (j / 4)));
        }
        // q in -4..3: the high bit (hmask) set means "no -4": q >= 0 stores q, q < 0 stores q + 4 with it clear
        int low2[QK_K];
        std::memset(y[i].hmask, 0, sizeof y[i].hmask);
        for (int h = 0; h < 2; ++h)
            for (int sft = 0; sft < 4; ++sft)
                for (int p = 0; p < 2; ++p)
                    for (int l = 0; l < 16; ++l) {
                        const int w = 128 * h + 32 * sft + 16 * p + l, v = q[w];
                        low2[w] = v >= 0 ? v : v + 4;
                        if (v >= 0) y[i].hmask[16 * p + l] |= (uint8_t)(1u << (4 * h + sft));
                    }
        pack_2bit(low2, y[i].qs);
    }
}


void quantize_row_iq4_nl_ref(const float *x, block_iq4_nl *y, int64_t n, const float *qw) {
    float w[QK4_NL];
    for (int64_t i = 0; i < n / QK4_NL; ++i, x += QK4_NL) {
        error_weights(x, qw ? qw + i * QK4_NL : nullptr, QK4_NL, false, w);
        float amax = 0, vmax = 0;
        for (int j = 0; j < QK4_NL; ++j) {
            if (std::fabs(x[j]) > amax) {
                amax = std::fabs(x[j]);
                vmax = x[j];
            }
        }
        float best = INFINITY, best_d = 0;
        if (amax > 0) {
            // the extreme on either end level, and scales between, each refined once by least squares
            for (int step = -8; step <= 8; ++step) {
                float d = vmax / (-127.0f + 1.5f * (float)step);
                for (int iter = 0; iter < 2; ++iter) {
                    double num = 0, den = 0;
                    for (int j = 0; j < QK4_NL; ++j) {
                        const int k = nearest_iq4(x[j] / d);
                        num += (double)w[j] * IQ4_NL_LEVELS[k] * x[j];
                        den += (double)w[j] * IQ4_NL_LEVELS[k] * IQ4_NL_LEVELS[k];
                    }
                    if (den > 0 && num != 0) d = (float)(num / den);
                }
                const float dh = as_half(d);
                if (dh == 0 || !(dh == dh)) continue;
                float err = 0;
                for (int j = 0; j < QK4_NL; ++j) {
                    const float r = dh * (float)IQ4_NL_LEVELS[nearest_iq4(x[j] / dh)] - x[j];
                    err += w[j] * r * r;
                }
                if (err < best) {
                    best = err;
                    best_d = d;
                }
            }
        }
        y[i].d = fp32_to_fp16(best_d);
        const float d = fp16_to_fp32(y[i].d);
        for (int j = 0; j < QK4_NL / 2; ++j) {
            const int k0 = d != 0 ? nearest_iq4(x[j] / d) : 8, k1 = d != 0 ? nearest_iq4(x[j + 16] / d) : 8;
            y[i].qs[j] = (uint8_t)(k0 | (k1 << 4));
        }
    }
}

void quantize_row_q6_K_ref(const float *x, block_q6_K *y, int64_t n, const float *qw) {
    for (int64_t i = 0; i < n / QK_K; ++i, x += QK_K) {
        float s[16], w[QK_K], amax = 0;
        for (int j = 0; j < 16; ++j) {
            error_weights(x + 16 * j, qw ? qw + i * QK_K + 16 * j : nullptr, 16, Q6_K_WEIGHTED, w + 16 * j);
            s[j] = fit_symmetric(x + 16 * j, w + 16 * j, 16, -32, 31, false);
            amax = std::fabs(s[j]) > amax ? std::fabs(s[j]) : amax;
        }
        // int8 sub-block scales (signed: a sub-block's sign picks which side of [-32, 31] its extreme uses)
        y[i].d = fp32_to_fp16(amax / 127.0f);
        const float dq = fp16_to_fp32(y[i].d);
        int q[QK_K];
        for (int j = 0; j < 16; ++j) {
            // the int8 scale nearest to the fit, or a neighbour if that loses less to rounding
            const int c0 = dq != 0 ? nearest(s[j] / dq, -128, 127) : 0;
            float best = INFINITY;
            y[i].scales[j] = (int8_t)c0;
            for (int c = c0 - 2; c <= c0 + 2; ++c) {
                if (c < -128 || c > 127) continue;
                const float step = dq * (float)c;
                float err = 0;
                for (int l = 0; l < 16; ++l) {
                    const float v = x[16 * j + l];
                    const float r = (step != 0 ? step * (float)nearest(v / step, -32, 31) : 0.0f) - v;
                    err += (qw ? w[16 * j + l] : 1.0f) * r * r;
                }
                if (err < best) {
                    best = err;
                    y[i].scales[j] = (int8_t)c;
                }
            }
            const float step = dq * (float)y[i].scales[j];
            for (int l = 0; l < 16; ++l) q[16 * j + l] = (step != 0 ? nearest(x[16 * j + l] / step, -32, 31) : 0) + 32;
        }
        // two halves of 128: ql low nibbles (l, l + 32), high nibbles (l + 64, l + 96); qh 2 bits each
        for (int h = 0; h < 2; ++h) {
            uint8_t *ql = y[i].ql + 64 * h, *qh = y[i].qh + 32 * h;
            const int *qq = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                ql[l] = (uint8_t)((qq[l] & 0x0f) | ((qq[l + 64] & 0x0f) << 4));
                ql[l + 32] = (uint8_t)((qq[l + 32] & 0x0f) | ((qq[l + 96] & 0x0f) << 4));
                qh[l] = (uint8_t)((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) | ((qq[l + 64] >> 4) << 4) |
                                  ((qq[l + 96] >> 4) << 6));
            }
        }
    }
}

bool unbias_row_scales(int type, const float *x, void *y, int64_t n) {
    // where each block of TYPE keeps its fp16 scale and (for the types with an offset) its fp16 min / offset
    size_t d_at = 0, m_at = 0;
    bool has_m = false;
    switch (type) {
        case GPT2_TYPE_Q4_0: case GPT2_TYPE_Q5_0: case GPT2_TYPE_Q8_0: case GPT2_TYPE_IQ4_NL: break;
        case GPT2_TYPE_Q4_1: m_at = offsetof(block_q4_1, m); has_m = true; break;
        case GPT2_TYPE_Q5_1: m_at = offsetof(block_q5_1, m); has_m = true; break;
        case GPT2_TYPE_Q4_K: m_at = offsetof(block_q4_K, dmin); has_m = true; break;
        case GPT2_TYPE_Q5_K: m_at = offsetof(block_q5_K, dmin); has_m = true; break;
        case GPT2_TYPE_Q2_K:
            d_at = offsetof(block_q2_K, d);
            m_at = offsetof(block_q2_K, dmin);
            has_m = true;
            break;
        case GPT2_TYPE_Q3_K: d_at = offsetof(block_q3_K, d); break;
        case GPT2_TYPE_Q6_K: d_at = offsetof(block_q6_K, d); break;
        default: return false;
    }
    const int64_t bs = type_block_size((gpt2_type)type);
    if (bs <= 0 || n % bs != 0) return false;
    std::vector<float> r((size_t)n);
    dequantize_row(type, y, r.data(), n);
    double xx = 0, xr = 0;
    for (int64_t i = 0; i < n; ++i) {
        xx += (double)x[i] * x[i];
        xr += (double)x[i] * r[(size_t)i];
    }
    // a row rounded to (nearly) nothing, or one whose rounding no longer points its way, is left as it is
    if (!(xx > 0) || !(xr > 0.5 * xx) || !(xr < 2.0 * xx)) return false;
    const float c = (float)(xx / xr);
    const size_t block_bytes = type_row_bytes((gpt2_type)type, bs);
    auto scale_half = [c](uint8_t *p) {
        uint16_t h;
        std::memcpy(&h, p, 2);
        h = fp32_to_fp16(fp16_to_fp32(h) * c);
        std::memcpy(p, &h, 2);
    };
    for (int64_t b = 0; b < n / bs; ++b) {
        uint8_t *blk = static_cast<uint8_t *>(y) + (size_t)b * block_bytes;
        scale_half(blk + d_at);
        if (has_m) scale_half(blk + m_at);
    }
    return true;
}

}  // namespace gpt2
