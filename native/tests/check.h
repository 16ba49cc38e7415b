// check.h — the few assertion macros the ctest programs use: a failed CHECK prints file:line and the
// expression, counts the failure and continues; main() returns check_summary(), non-zero on failure.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace check {
inline int &failures() { static int n = 0; return n; }
inline int &passes() { static int n = 0; return n; }
}  // namespace check

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) { ++check::passes(); }                                                   \
        else { ++check::failures(); std::fprintf(stderr, "%s:%d: CHECK failed: %s\n",      \
                                                 __FILE__, __LINE__, #cond); }             \
    } while (0)

#define CHECK_MSG(cond, ...)                                                               \
    do {                                                                                   \
        if (cond) { ++check::passes(); }                                                   \
        else { ++check::failures(); std::fprintf(stderr, "%s:%d: CHECK failed: %s: ",      \
                                                 __FILE__, __LINE__, #cond);               \
               std::fprintf(stderr, __VA_ARGS__); std::fputc('\n', stderr); }             \
    } while (0)

#define CHECK_EQ(a, b) CHECK_MSG((a) == (b), "%s != %s", #a, #b)
#define CHECK_NEAR(a, b, tol) \
    CHECK_MSG(std::fabs((double)(a) - (double)(b)) <= (tol), "%g vs %g (tol %g)", (double)(a), (double)(b), (double)(tol))

// Prints "<name>: N passed, M failed" and returns the exit code for main().
inline int check_summary(const char *name) {
    std::printf("%s: %d checks passed, %d failed\n", name, check::passes(), check::failures());
    return check::failures() == 0 ? 0 : 1;
}
