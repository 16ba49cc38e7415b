// error_feedback.h — re-rounds the levels of an already quantized matrix, keeping every block's scales and mins,
// so that each row's rounding error is small in a metric M (K x K) instead of in plain squared error.
//
// Why: a diagonal weighting (an imatrix) can only say which columns matter. The tied token embedding's lookup
// role is different: its errors enter the residual stream, and the output distribution reacts to only a few
// directions of that space (the Fisher information of the next-token distribution with respect to the input
// embedding, which gpt2-imatrix measures, has nearly all its trace in a handful of eigenvectors; see
// model/lookup_fisher.h). Error feedback moves the rounding error out of those directions.
//
// The rule is GPTQ's (Frantar et al., 2022): columns are rounded in order, each to the nearest level its block
// allows, and the rounding error e_j, divided by U[j][j], is taken off the not yet rounded columns in proportion
// to row j of U, the upper Cholesky factor of M^-1 (M^-1 = U^T U). That minimises the error e^T M e greedily,
// column by column, with the earlier columns' errors compensated where M couples them.
#pragma once

#include <cstdint>
#include <vector>

#include "gpt2.h"

namespace gpt2 {

// U, row-major K x K (upper triangle used), for the metric M (row-major, symmetric positive semi-definite) after
// adding DAMP * (mean of M's diagonal) to its diagonal, which keeps U finite where M is (nearly) singular.
// Throws GPT2_ERR_INVALID_ARGUMENT when M is not symmetric positive semi-definite or not finite.
std::vector<double> error_feedback_factor(const float *m, int64_t K, double damp);

// Whether TYPE has integer levels on a per-block grid that error_feedback_rows can choose among (the quantized
// types; not f32, f16, bf16).
bool error_feedback_supported(gpt2_type type);

// Re-rounds the ROWS rows of Y (encoded as TYPE, K weights each) against the original rows X (ROWS x K), with the
// factor U of error_feedback_factor. Scales and mins stay; only the levels change.
void error_feedback_rows(gpt2_type type, const float *x, void *y, int64_t K, int64_t rows,
                         const std::vector<double> &U);

}  // namespace gpt2
