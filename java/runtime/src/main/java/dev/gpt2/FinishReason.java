package dev.gpt2;

/** Why a generation ended. */
public enum FinishReason {
    LENGTH("length", "length"),
    EOS_TOKEN("eos_token", "stop"),
    STOP_SEQUENCE("stop_sequence", "stop"),
    CONTEXT_LENGTH("length", "length"),
    CANCELLED("cancelled", "cancelled");

    private final String tgiName;
    private final String openAiName;

    FinishReason(String tgiName, String openAiName) {
        this.tgiName = tgiName;
        this.openAiName = openAiName;
    }

    /** Name in Hugging Face TGI responses. */
    public String tgiName() {
        return tgiName;
    }

    /** Name in OpenAI completions responses. */
    public String openAiName() {
        return openAiName;
    }
}
