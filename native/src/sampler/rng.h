// rng.h — the sampler's seeded 64-bit PRNG: xoshiro256** seeded through splitmix64. One per sampler, no
// global state, so a sequence's draws depend only on its own seed and the number of draws made.
#pragma once

#include <cstdint>

namespace gpt2 {

class Rng {
public:
    explicit Rng(uint64_t seed = 0) { reseed(seed); }

    // Every 64-bit value is a valid seed (splitmix64 expands it to a non-zero 256-bit state).
    void reseed(uint64_t seed);
    uint64_t next_u64();
    // Uniform double in [0, 1) with 53 random bits.
    double next_unit();

private:
    uint64_t state_[4];
};

// One splitmix64 step: advances *state and returns the mixed output (also used to make random seeds).
uint64_t splitmix64_next(uint64_t *state);

}  // namespace gpt2
