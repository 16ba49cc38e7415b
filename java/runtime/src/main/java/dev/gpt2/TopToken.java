package dev.gpt2;

/** One alternative considered for a generated position: token id, its bytes as (lossy) text, its logprob. */
public record TopToken(int id, String text, float logprob) {
}
