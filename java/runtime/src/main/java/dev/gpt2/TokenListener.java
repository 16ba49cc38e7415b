package dev.gpt2;

/**
 * A lambda-friendly listener for the tokens of one generation (GenerationListener has only default methods, so no
 * lambda fits it). Runs on the engine thread: return quickly, do not block.
 * <pre>{@code
 * model.submit("Once upon a time", params, e -> System.out.print(e.text())).result().join();
 * }</pre>
 */
@FunctionalInterface
public interface TokenListener {
    void onToken(StreamEvent event);

    /** This as a {@link GenerationListener} (completion and errors reach the returned Generation's result). */
    default GenerationListener asGenerationListener() {
        return new GenerationListener() {
            @Override
            public void onToken(StreamEvent event) {
                TokenListener.this.onToken(event);
            }
        };
    }
}
