# GPT-2 for the JVM — container image: the Helidon server, the native runtime bundled in its jar, and a model.
#
#   docker build -t gpt2-java .                                            # GPT-2 124M, q8_0, baked in
#   docker build -t gpt2-java --build-arg MODEL=gpt2-medium --build-arg TYPE=q4_0 .
#   docker run -p 8080:8080 gpt2-java
#   docker run -p 8080:8080 -v $PWD/weights/models:/models -e GPT2_MODEL=/models/gpt2-f16.gguf gpt2-java
#
# The build stage runs the same Makefile targets as CI (make build, make weights). Without network access to
# Hugging Face the weights step falls back to the random-weight demo model, exactly as `make run` does, and
# says so in the build log; the server's /info then reports randomWeights=true.
# Checked statically by ci/check-dockerfile.sh (`make docker-check`).

# ---- build: native library + tools (CMake), Java runtime + server (Maven), model ------------------------------
FROM maven:3.9-eclipse-temurin-21 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake g++ make curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt Makefile ./
COPY native ./native
COPY java ./java
COPY weights ./weights
RUN make build JOBS="$(nproc)"

ARG MODEL=gpt2
ARG TYPE=q8_0
RUN make weights MODEL="${MODEL}" TYPE="${TYPE}" MODEL_OUT=/opt/gpt2/models/model.gguf

# ---- runtime: JRE only, non-root -------------------------------------------------------------------------------
FROM eclipse-temurin:21-jre AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/gpt2 --shell /usr/sbin/nologin gpt2
WORKDIR /opt/gpt2
COPY --from=build /src/java/server/target/gpt2-server.jar ./gpt2-server.jar
COPY --from=build /src/java/server/target/libs ./libs
COPY --from=build /opt/gpt2/models/model.gguf ./models/model.gguf
COPY weights/tokenizer/NOTICE.md ./NOTICE-tokenizer.md

# Helidon maps GPT2_MODEL -> gpt2.model, SERVER_PORT -> server.port, and so on (see README "Configuration").
# The Java heap stays small: the weights (copied in at load) and the KV caches live in native memory.
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas would otherwise grow RSS in steps as threads first call
# into the native library (the soak measures RSS with this setting).
ENV GPT2_MODEL=/opt/gpt2/models/model.gguf \
    SERVER_HOST=0.0.0.0 \
    SERVER_PORT=8080 \
    MALLOC_ARENA_MAX=2 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=25"
# JavaCPP unpacks the bundled libgpt2.so under the user's home (~/.javacpp/cache): it must be writable.
USER gpt2
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://localhost:8080/health || exit 1
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/gpt2/gpt2-server.jar"]
