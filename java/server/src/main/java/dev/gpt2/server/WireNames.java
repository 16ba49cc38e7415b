// What each API family calls the library's values on the wire: the finish reasons of TGI and OpenAI.
package dev.gpt2.server;

import dev.gpt2.FinishReason;

final class WireNames {
    private WireNames() {
    }

    /** TGI's finish_reason: length, eos_token, stop_sequence. */
    static String tgi(FinishReason r) {
        return switch (r) {
            case LENGTH, CONTEXT_LENGTH -> "length";
            case EOS_TOKEN -> "eos_token";
            case STOP_SEQUENCE -> "stop_sequence";
            case CANCELLED -> "cancelled";
        };
    }

    /** OpenAI's finish_reason: length or stop. */
    static String openAi(FinishReason r) {
        return switch (r) {
            case LENGTH, CONTEXT_LENGTH -> "length";
            case EOS_TOKEN, STOP_SEQUENCE -> "stop";
            case CANCELLED -> "cancelled";
        };
    }
}
