// rng.cpp — xoshiro256** (Blackman & Vigna) with splitmix64 seeding; written from the published algorithm.
#include "sampler/rng.h"

namespace gpt2 {

uint64_t splitmix64_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void Rng::reseed(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t &s : state_) s = splitmix64_next(&sm);
}

uint64_t Rng::next_u64() {
    const uint64_t result = rotl64(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl64(state_[3], 45);
    return result;
}

double Rng::next_unit() { return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

}  // namespace gpt2
