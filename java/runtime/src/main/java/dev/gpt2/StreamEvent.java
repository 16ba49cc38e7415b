package dev.gpt2;

/**
 * One step of a streamed generation: the token just sampled, the text it made safe to emit (whole UTF-8 characters,
 * never part of a stop string; may be ""), and the token's index in the generation (0-based).
 */
public record StreamEvent(TokenInfo token, String text, int index) {
}
