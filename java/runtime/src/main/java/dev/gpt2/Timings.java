package dev.gpt2;

/**
 * Where a request's time went, in milliseconds: waiting in the queue, prefilling the prompt, decoding (the total of
 * the steps that produced sampled tokens), and from submit to the first token.
 */
public record Timings(double queueMs, double promptMs, double decodeMs, double timeToFirstTokenMs) {
}
