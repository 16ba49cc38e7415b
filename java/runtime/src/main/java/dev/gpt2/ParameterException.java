package dev.gpt2;

/** A parameter outside its range; {@link #field()} names it as the builder method does (e.g. "topP"). */
public final class ParameterException extends IllegalArgumentException {
    private final String field;

    public ParameterException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
