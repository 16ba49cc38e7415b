# GPT-2 for the JVM — the verbs a user or CI types. `make help` lists them.
#
#   make run      build what is missing, make sure a model is there, serve it on http://localhost:$(PORT)/
#   make test     every test: native (release + sanitizers), Java/JUnit (browser + npm clients), examples,
#                 the weights pipeline (mock Hub), the static Dockerfile check, the Kubernetes manifest validation
#
# Incremental: CMake runs only when a native source is newer than libgpt2.so (and rebuilds only what changed),
# Maven only when a file under java/ (or the native library) is newer than its stamp, and the model is fetched
# and converted only when weights/models/ lacks it.
# Variables: MODEL (gpt2|gpt2-medium|gpt2-large|gpt2-xl|PATH.gguf), TYPE (f32|f16|q8_0|q4_0), PORT, THREADS,
# CUDA=ON (make build: also the CUDA backend libgpt2_cuda.so, bundled in the jar; needs nvcc), CUDA_ARCHS.

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODEL   ?= gpt2
TYPE    ?= q8_0
PORT    ?= 8080
THREADS ?= 0
JOBS    ?= 2

BUILD      := build/release
ASAN_BUILD := build/asan
CUDA_BUILD := build/cuda
# nvcc for the optional CUDA backend (compiles without a GPU); empty = the CUDA targets skip with a message
NVCC       := $(shell command -v nvcc 2>/dev/null || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
CUDA_ARCHS ?= 80;90
CUDA       ?= OFF
STAMPS     := build/stamps
SERVER_JAR := java/server/target/gpt2-server.jar
NATIVE_LIB := $(BUILD)/libgpt2.so

# Maven 3.8.7 must run on Java 21+: prefer Temurin 25 where it is installed, else whatever JAVA_HOME says.
TEMURIN := /usr/lib/jvm/temurin-25-jdk-amd64
ifneq ($(wildcard $(TEMURIN)/bin/java),)
  export JAVA_HOME := $(TEMURIN)
endif
ifneq ($(JAVA_HOME),)
  JAVA := $(JAVA_HOME)/bin/java
else
  JAVA := java
endif
MVN := mvn -B -ntp

NATIVE_SRCS := CMakeLists.txt $(shell find native -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.c' -o -name '*.cu' -o -name '*.cuh' \) 2>/dev/null)
JAVA_SRCS   := $(shell find java -path '*/target' -prune -o -path '*/node_modules' -prune -o -path java/examples -prune \
                 -o -type f \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -print 2>/dev/null)

section = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

# The variables are checked before anything is built, so that `make run MODEL=nonsense` says so at once.
ifneq ($(filter run weights,$(MAKECMDGOALS)),)
  ifeq ($(filter gpt2 gpt2-medium gpt2-large gpt2-xl,$(MODEL))$(filter %.gguf,$(MODEL)),)
    $(error MODEL=$(MODEL) is unknown: use gpt2, gpt2-medium, gpt2-large, gpt2-xl or a PATH.gguf)
  endif
  ifneq ($(filter %.gguf,$(MODEL)),)
    ifeq ($(wildcard $(MODEL)),)
      $(error MODEL=$(MODEL): no such file)
    endif
  endif
  ifeq ($(filter f32 f16 q8_0 q4_0,$(TYPE)),)
    $(error TYPE=$(TYPE) is unknown: use f32, f16, q8_0 or q4_0)
  endif
endif
ifneq ($(filter run,$(MAKECMDGOALS)),)
  ifeq ($(shell [[ "$(PORT)" =~ ^[0-9]+$$ ]] && (( $(PORT) >= 1 && $(PORT) <= 65535 )) && echo ok),)
    $(error PORT=$(PORT) is not a port number (1..65535))
  endif
  ifeq ($(shell [[ "$(THREADS)" =~ ^[0-9]+$$ ]] && echo ok),)
    $(error THREADS=$(THREADS) is not a number (0 = all cores))
  endif
endif

.PHONY: help run build build-native build-java weights test test-native test-asan test-java test-examples test-weights \
        docker-check deploy-check bench bench-throughput docker clean clean-weights fuzz fuzz-build fuzz-smoke test-java-asan soak \
        test-interop test-cuda-build gpu-check \
        soak-smoke

help:
	@echo "make run            build what is missing, fetch/convert the model ($(MODEL), $(TYPE)), serve on :$(PORT)"
	@echo "make test           all tests (native, sanitizers, Java + browser + npm clients, examples, weights, docker-check, deploy-check)"
	@echo "make weights        the weights pipeline alone: MODEL=gpt2|gpt2-medium|gpt2-large|gpt2-xl TYPE=f32|f16|q8_0|q4_0"
	@echo "make bench          native + Java throughput figures (prints, never asserts)"
	@echo "make bench-throughput  prefill/decode/batched/pos-1000 per type vs the machine's ceilings (and llama.cpp: LLAMA_LIB_DIR)"
	@echo "make docker         docker build -t gpt2-java . (needs a Docker engine)"
	@echo "make build | build-native | build-java | test-native | test-asan | test-java | test-examples | test-weights"
	@echo "make fuzz (FUZZ_RUNS=1000000 per target) | fuzz-smoke (FUZZ_SECONDS=60 per target, in make test)"
	@echo "make test-java-asan (Java engine tests on an ASan libgpt2.so) | soak (SOAK_SECONDS=600) | soak-smoke (60 s)"
	@echo "make test-interop (llama.cpp-quantized GGUF files: bit-exact dequantization, greedy parity)"
	@echo "make test-cuda-build (-DGPT2_CUDA=ON build for sm $(CUDA_ARCHS) in $(CUDA_BUILD) + its tests; skips without nvcc)"
	@echo "make gpu-check (on a GPU host: CUDA build, test_cuda, GPU benchmark -> bench/results/gpu-check-<time>/)"
	@echo "make docker-check | deploy-check | clean | clean-weights"
	@echo "variables: MODEL=$(MODEL) TYPE=$(TYPE) PORT=$(PORT) THREADS=$(THREADS) (0 = all cores)"

# ---- build ------------------------------------------------------------------------------------------------
build: build-native build-java

build-native: $(NATIVE_LIB)

$(BUILD)/CMakeCache.txt:
	$(call section,configure native ($(BUILD)))
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DGPT2_CUDA=$(CUDA) \
	  $(if $(filter ON,$(CUDA)),-DCMAKE_CUDA_ARCHITECTURES="$(CUDA_ARCHS)")

# One native build path: every target (library, tools, tests) is built here, whatever built some of them before.
# `mvn install` builds only the four targets the Java build needs into the same folder; its libgpt2.so must not
# make this rule believe the rest is there, so the rule's own stamp (not the library) says "all built".
# cmake --build is itself incremental, so after a Maven build this only adds what is missing.
NATIVE_STAMP := $(STAMPS)/native-all
$(NATIVE_STAMP): $(BUILD)/CMakeCache.txt $(NATIVE_SRCS)
	$(call section,build native ($(BUILD)))
	cmake --build $(BUILD) -j$(JOBS)
	@mkdir -p $(STAMPS) && touch $@

$(NATIVE_LIB): $(NATIVE_STAMP)

build-java: $(STAMPS)/java-install

# `mvn install` builds java/runtime (bundling libgpt2.so) and java/server, and installs the runtime artifact
# that java/examples depends on. Tests run under `make test-java`, not here.
$(STAMPS)/java-install: $(NATIVE_LIB) $(JAVA_SRCS)
	$(call section,build Java (mvn install -DskipTests))
	$(MVN) -f java/pom.xml install -DskipTests -Dgpt2.cmake.jobs=$(JOBS) -Dgpt2.cuda=$(CUDA)
	@mkdir -p $(STAMPS) && touch $@

$(SERVER_JAR): $(STAMPS)/java-install

# ---- weights ----------------------------------------------------------------------------------------------
# MODEL_OUT=PATH also copies the resulting model there (the Dockerfile bakes it into the image that way).
weights: build-native
	$(call section,weights: $(MODEL) ($(TYPE)))
	@model="$$(bash weights/fetch.sh '$(MODEL)' '$(TYPE)')"; \
	 echo "model: $$model"; \
	 if [ -n "$(MODEL_OUT)" ]; then mkdir -p "$$(dirname '$(MODEL_OUT)')"; cp "$$model" '$(MODEL_OUT)'; echo "copied to $(MODEL_OUT)"; fi

# ---- run --------------------------------------------------------------------------------------------------
run: build
	$(call section,model)
	@model="$$(bash weights/fetch.sh '$(MODEL)' '$(TYPE)')"; \
	 printf '\n\033[1m==> starting the server: %s on port %s\033[0m\n' "$$model" "$(PORT)"; \
	 $(JAVA) --enable-native-access=ALL-UNNAMED -jar $(SERVER_JAR) --model "$$model" --port $(PORT) \
	   --threads $(THREADS) & pid=$$!; \
	 trap 'kill $$pid 2>/dev/null || true; wait $$pid 2>/dev/null || true' INT TERM; \
	 for i in $$(seq 1 240); do \
	   if curl -fsS -o /dev/null "http://localhost:$(PORT)/health" 2>/dev/null; then \
	     printf '\n\033[1m==> GPT-2 server ready: http://localhost:%s/  (API docs: http://localhost:%s/docs; Ctrl-C stops)\033[0m\n\n' "$(PORT)" "$(PORT)"; \
	     break; fi; \
	   kill -0 $$pid 2>/dev/null || break; sleep 0.5; \
	 done; \
	 wait $$pid

# ---- tests ------------------------------------------------------------------------------------------------
test: docker-check deploy-check test-weights test-native test-cuda-build test-asan fuzz-smoke test-interop test-java \
      test-java-asan soak-smoke test-examples
	$(call section,all tests passed)

test-native: build-native
	$(call section,native tests (ctest, $(BUILD)))
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The CUDA backend must keep compiling (CI has nvcc but no GPU): build/cuda with -DGPT2_CUDA=ON for sm_80 + sm_90,
# then the device tests (test_cuda skips without a GPU; test_device checks the clear error and the CPU path in the
# same process; test_cuda_host runs the kernels' per-thread arithmetic on the CPU) and the CPU forward / generation
# suites against that build. On a GPU host test_cuda runs for real.
# (libgpt2.so is left out: its sources are the static core's, compiled here once, which keeps this to ~2-3 min.)
CUDA_TESTS := test_device test_cuda test_cuda_host test_forward test_generate
test-cuda-build:
	$(call section,CUDA build ($(CUDA_BUILD), sm $(CUDA_ARCHS)) and its tests)
	@if [ -z "$(NVCC)" ]; then echo "test-cuda-build: skipped: nvcc not found (install the CUDA toolkit to compile the CUDA backend)"; exit 0; fi; \
	 [ -f $(CUDA_BUILD)/CMakeCache.txt ] || cmake -S . -B $(CUDA_BUILD) -DCMAKE_BUILD_TYPE=Release -DGPT2_CUDA=ON \
	   -DCMAKE_CUDA_COMPILER="$(NVCC)" -DCMAKE_CUDA_ARCHITECTURES="$(CUDA_ARCHS)"; \
	 cmake --build $(CUDA_BUILD) -j$(JOBS) --target gpt2_cuda gpt2-generate gpt2-bench gpt2-random $(CUDA_TESTS); \
	 cd $(CUDA_BUILD) && ctest --output-on-failure -j$(JOBS) -R "^($$(echo $(CUDA_TESTS) | tr ' ' '|'))$$"

# One prepared run for a GPU host: bench/gpu-check.sh (build, test_cuda, benchmark; results in bench/results/).
gpu-check:
	bash bench/gpu-check.sh

test-asan:
	$(call section,native tests under AddressSanitizer + UBSan ($(ASAN_BUILD)))
	@[ -f $(ASAN_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_BUILD) -DGPT2_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS)

# Full Maven build with tests (JUnit, the headless-Chromium browser test, the npm client tests), then install.
test-java: build-native
	$(call section,Java tests (mvn install: JUnit, browser, npm clients))
	$(MVN) -f java/pom.xml install -Dgpt2.cmake.jobs=$(JOBS)
	@mkdir -p $(STAMPS) && touch $(STAMPS)/java-install

# The Java engine's tests (sequences to the context end, cancellation, batch isolation, engine death, close,
# speculative decoding) against an AddressSanitizer + UBSan build of libgpt2.so: memory safety across the JNI
# boundary, not only in the C tests. The ASan library replaces the release one in java/runtime/target/classes for
# the run (JavaCPP loads it from there) and the release one is put back after it, pass or fail. The ASan runtime is
# preloaded into the JVMs; handle_segv=0 because HotSpot uses SIGSEGV itself; leak checking is off because the JVM
# never frees everything.
ASAN_JAVA_BUILD := build/asan-java
ASAN_JAVA_TESTS ?= ContextEndTest,KvCacheTypeTest,EngineTest,EngineFailureTest,BatchIsolationTest,GenerationTest,ModelTest,ChunkedPrefillTest,PromptCacheTest,PromptLogprobsTest,SpeculativeDecodingTest,DraftModelTest
RUNTIME_LIB     := java/runtime/target/classes/dev/gpt2/binding/linux-x86_64/libgpt2.so
test-java-asan: build-native
	$(call section,Java engine tests against an ASan + UBSan libgpt2.so ($(ASAN_JAVA_BUILD)))
	@[ -f $(ASAN_JAVA_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_JAVA_BUILD) -DGPT2_SANITIZE=ON \
	  -DGPT2_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(ASAN_JAVA_BUILD) -j$(JOBS) --target gpt2
	$(MVN) -q -f java/runtime/pom.xml -Dgpt2.native.skip=true test-compile
	@[ -f $(RUNTIME_LIB) ] || { echo "expected $(RUNTIME_LIB) after test-compile"; exit 1; }
	cp $(ASAN_JAVA_BUILD)/libgpt2.so $(RUNTIME_LIB)
	@status=0; \
	 LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	 ASAN_OPTIONS=handle_segv=0:detect_leaks=0:allow_user_segv_handler=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 $(MVN) -f java/runtime/pom.xml -Dgpt2.native.skip=true surefire:test -Dgpt2.test.skipBig=true \
	   -Dtest='$(ASAN_JAVA_TESTS)' -Dsurefire.failIfNoSpecifiedTests=false || status=$$?; \
	 cp $(BUILD)/libgpt2.so $(RUNTIME_LIB); \
	 exit $$status

# The soak (SoakTest): the server as its own process under 64 clients, mixed blocking/streaming requests,
# hang-ups and generations to the context end; zero 5xx, engine alive, slots and queue back to zero, RSS after
# warm-up grown < 5% (asserted from 5 minutes on); prints time to first token and tokens/s. `make soak`: SOAK_SECONDS (600);
# `make soak-smoke` (part of `make test`): 60 s.
SOAK_SECONDS ?= 600
soak: build-java
	$(call section,soak: 64 clients for $(SOAK_SECONDS) s)
	$(MVN) -f java/pom.xml -pl server -Dgpt2.native.skip=true surefire:test -Dtest=SoakTest \
	  -Dgpt2.soak.seconds=$(SOAK_SECONDS) -Dsurefire.failIfNoSpecifiedTests=false

soak-smoke:
	@$(MAKE) --no-print-directory soak SOAK_SECONDS=60

# java/examples is a separate Maven project that consumes the installed dev.gpt2:gpt2-runtime artifact: build it,
# then run its Example on a small random model and check that it generated (greedy + streamed) text.
EXAMPLE_MODEL := $(STAMPS)/example-model.gguf
test-examples: $(STAMPS)/java-install
	$(call section,java/examples against the installed artifact)
	@[ -f java/examples/pom.xml ] || { echo "java/examples/pom.xml is missing"; exit 1; }
	$(MVN) -q -f java/examples/pom.xml package
	$(BUILD)/gpt2-random $(EXAMPLE_MODEL) --layers 2 --heads 2 --embd 64 --ctx 128 --seed 3 >/dev/null
	$(JAVA) --enable-native-access=ALL-UNNAMED -cp "java/examples/target/classes:java/examples/target/libs/*" \
	  dev.gpt2.examples.Example $(EXAMPLE_MODEL) "The meaning of life is" 16 | tee $(STAMPS)/example.out
	@grep -q '^greedy: ' $(STAMPS)/example.out || { echo "FAIL: Example printed no greedy completion"; exit 1; }
	$(JAVA) --enable-native-access=ALL-UNNAMED -cp "java/examples/target/classes:java/examples/target/libs/*" \
	  dev.gpt2.examples.LangChain4jExample $(EXAMPLE_MODEL) "The meaning of life is" | tee $(STAMPS)/example-lc4j.out
	@grep -q '^langchain4j: .*tokens\]' $(STAMPS)/example-lc4j.out && grep -q '^langchain4j streamed: ' $(STAMPS)/example-lc4j.out \
	  || { echo "FAIL: LangChain4jExample printed no completion"; exit 1; }
	@out="$$(JAVA_HOME=/nonexistent java/server/gpt2-server --model /nonexistent.gguf 2>&1)" && rc=0 || rc=$$?; \
	 [[ $$rc -eq 2 && "$$out" == *"model file /nonexistent.gguf does not exist"* ]] \
	 || { echo "FAIL: java/server/gpt2-server did not run the server on a JDK 21+ (rc $$rc): $$out"; exit 1; }
	@echo "launcher: java/server/gpt2-server found a JDK 21+"
	@echo "examples: 3 passed, 0 failed"

# weights/download.sh against a local mock of the Hub: resume, re-use, sha256 and pin mismatches, offline.
test-weights: build-native
	$(call section,weights pipeline against a mock Hub)
	GPT2_BIN=$(CURDIR)/$(BUILD) bash ci/weights/test-download.sh

docker-check:
	$(call section,static Dockerfile check)
	bash ci/check-dockerfile.sh
	bash ci/check-dockerfile.sh Dockerfile.cuda

deploy-check:
	$(call section,Kubernetes manifest validation (offline schemas))
	bash ci/k8s/check.sh

# llama.cpp's own quantizer (node-llama-cpp from npm) writes every GGUF type that applies to GPT-2; our runtime
# must dequantize each tensor exactly as ggml does and decode the same greedy tokens (ci/interop). Skips without npm.
test-interop: build-native
	$(call section,llama.cpp interop: their quantizer's files in our runtime)
	GPT2_BIN=$(CURDIR)/$(BUILD) bash ci/interop/test-llama-interop.sh $(CURDIR)/build/interop

# ---- fuzzing (libFuzzer, clang) ---------------------------------------------------------------------------
# native/fuzz/fuzz_<name>.cpp, built with -fsanitize=fuzzer,address,undefined in $(FUZZ_BUILD). Each target
# starts from the corpus gpt2-fuzz-seeds writes and keeps what it finds in $(FUZZ_BUILD)/corpus/<name>.
# `make fuzz`: FUZZ_RUNS executions per target (default 1M). `make fuzz-smoke` (part of `make test`):
# FUZZ_SECONDS per target (default 60), JOBS targets at a time. A crash leaves crash-* in $(FUZZ_BUILD) and
# fails the target; turn it into a regression test under native/tests.
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := $(patsubst native/fuzz/%.cpp,%,$(wildcard native/fuzz/fuzz_*.cpp))
FUZZ_RUNS    ?= 1000000
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 8192

fuzz-build:
	$(call section,build fuzz targets ($(FUZZ_BUILD), clang))
	@command -v clang++ >/dev/null || { echo "fuzzing needs clang (Debian: apt-get install clang)"; exit 1; }
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DGPT2_FUZZ=ON \
	  -DGPT2_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(FUZZ_TARGETS) gpt2-fuzz-seeds
	rm -rf $(FUZZ_BUILD)/seeds && $(FUZZ_BUILD)/gpt2-fuzz-seeds $(FUZZ_BUILD)/seeds

fuzz: fuzz-build
	$(call section,fuzz: $(FUZZ_RUNS) runs per target)
	@for t in $(FUZZ_TARGETS); do bash native/fuzz/run.sh $(FUZZ_BUILD) $$t -runs=$(FUZZ_RUNS) $(FUZZ_MAX_LEN); done

fuzz-smoke: fuzz-build
	$(call section,fuzz smoke: $(FUZZ_SECONDS) s per target and $(JOBS) at a time)
	@printf '%s\n' $(FUZZ_TARGETS) | \
	  xargs -P $(JOBS) -I{} bash native/fuzz/run.sh $(FUZZ_BUILD) {} -max_total_time=$(FUZZ_SECONDS) $(FUZZ_MAX_LEN)

# ---- bench ------------------------------------------------------------------------------------------------
# Figures only, never assertions. Uses MODEL if it is a .gguf path or already converted, else the demo model.
bench: build-native
	$(call section,bench model)
	@model="$$(GPT2_OFFLINE=$${GPT2_OFFLINE:-1} bash weights/fetch.sh '$(MODEL)' '$(TYPE)')"; \
	 threads=$(THREADS); [ "$$threads" != 0 ] || threads=$$(nproc); \
	 printf '\n\033[1m==> gpt2-bench: %s, %s threads\033[0m\n' "$$model" "$$threads"; \
	 $(BUILD)/gpt2-bench -m "$$model" -t "$$threads" -p 128 -n 64; \
	 for b in 4 8; do \
	   printf '\n\033[1m==> gpt2-bench --batch %s\033[0m\n' "$$b"; \
	   $(BUILD)/gpt2-bench -m "$$model" -t "$$threads" -p 32 -n 32 --batch $$b; \
	 done; \
	 printf '\n\033[1m==> gpt2-generate (greedy, 128 tokens)\033[0m\n'; \
	 $(BUILD)/gpt2-generate -m "$$model" -t "$$threads" -p "The meaning of life is" -n 128 --temp 0 >/dev/null; \
	 printf '\n\033[1m==> Java engine: 8 concurrent greedy streams vs 1 (dev.gpt2.bench.BatchThroughput)\033[0m\n'; \
	 $(MVN) -q -f java/runtime/pom.xml -Dgpt2.native.skip=true test-compile exec:java -Dexec.classpathScope=test \
	   -Dexec.mainClass=dev.gpt2.bench.BatchThroughput -Dexec.args="$$model 8 64"; \
	 printf '\n\033[1m==> Java engine: 7 streams while a 1000-token prompt arrives (dev.gpt2.bench.MixedLoad)\033[0m\n'; \
	 $(MVN) -q -f java/runtime/pom.xml -Dgpt2.native.skip=true exec:java -Dexec.classpathScope=test \
	   -Dexec.mainClass=dev.gpt2.bench.MixedLoad -Dexec.args="$$model 7 8 1000 $$threads"; \
	 printf '\n\033[1m==> Java engine: time to first token, 900 cached + 20 new prompt tokens vs none cached (dev.gpt2.bench.PromptCacheBench)\033[0m\n'; \
	 $(MVN) -q -f java/runtime/pom.xml -Dgpt2.native.skip=true exec:java -Dexec.classpathScope=test \
	   -Dexec.mainClass=dev.gpt2.bench.PromptCacheBench -Dexec.args="$$model 900 20 $$threads 5"; \
	 bash bench/speculative.sh $(BUILD) $$threads

# Every throughput figure of the kernels side by side in one run (bench/throughput.sh): the machine's ceilings,
# prefill / decode / batched / position-1000 per type; with LLAMA_LIB_DIR (+ LLAMA_INCLUDE_DIRS) or LLAMA_BENCH,
# llama.cpp on the same files and the ratios. Prints, never asserts.
bench-throughput: build-native
	$(call section,throughput (bench/throughput.sh))
	@threads=$(THREADS); [ "$$threads" != 0 ] || threads=$$(nproc); bash bench/throughput.sh -t "$$threads"

# ---- container --------------------------------------------------------------------------------------------
docker:
	@docker info >/dev/null 2>&1 || { echo "make docker: no Docker engine is reachable here ('docker info' failed)."; \
	  echo "Build on a machine with Docker: docker build -t gpt2-java --build-arg MODEL=$(MODEL) --build-arg TYPE=$(TYPE) ."; \
	  echo "The Dockerfile is checked statically by 'make docker-check'."; exit 1; }
	docker build -t gpt2-java --build-arg MODEL=$(MODEL) --build-arg TYPE=$(TYPE) .

# ---- clean ------------------------------------------------------------------------------------------------
# Keeps downloaded and converted weights (weights/cache, weights/models): `make clean-weights` drops them.
clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(STAMPS) ci/k8s/node_modules
	rm -rf java/runtime/target java/server/target java/examples/target

clean-weights:
	rm -rf weights/cache weights/models
