// Entry point: config (application.yaml < environment < flags) -> checks -> WebServer -> routing; the model loads
// in the background after the server is listening, so /health says 503 until it is ready. Bad settings, a missing
// model file, a taken port, a failed load or a dead engine end the process non-zero with one "gpt2-server:" line.
package dev.gpt2.server;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import io.helidon.common.socket.SocketOptions;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;

/** {@code java --enable-native-access=ALL-UNNAMED -jar gpt2-server.jar --model M.gguf [--port 8080]} */
public final class Main {
    private static final System.Logger LOG = System.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Map<String, String> flags;
        try {
            flags = ServerSettings.flagsToConfig(args);
        } catch (IllegalArgumentException e) {
            exit(2, e.getMessage());
            return;
        }
        Config config = config(flags);
        ServerSettings settings;
        ModelOptions options;
        String pinText;
        String host;
        int port;
        try {
            settings = ServerSettings.from(config.get("gpt2"));
            port = ServerSettings.port(config.get("server"));
            host = config.get("server.host").asString().orElse("0.0.0.0");
            if (settings.modelPath() == null) {
                throw new IllegalArgumentException("no model: pass --model PATH (or set gpt2.model / GPT2_MODEL)");
            }
            options = settings.modelOptions();
            checkModelFile(settings.modelPath());
            if (settings.draftModel() != null) {
                checkModelFile(settings.draftModel());
            }
            pinText = readPinPrompt(settings.pinPromptFile(), options);
            checkPortFree(host, port);
        } catch (RuntimeException e) {
            exit(2, e.getMessage());
            return;
        }
        ServerMetrics metrics = new ServerMetrics();
        // a failed load or a dead engine ends the process (non-zero) so that an orchestrator replaces it; exit
        // from a thread of its own: the shutdown hook joins the engine thread that may be the one reporting
        ModelHolder models = ModelHolder.loadLater(settings.modelName(),
                message -> Thread.ofPlatform().name("gpt2-fatal").start(() -> exit(1, message)));
        WebServer server;
        try {
            server = server(config.get("server"), models, metrics, settings)
                    .shutdownHook(false)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            exit(1, "cannot start the HTTP server on " + host + ":" + port + ": " + e.getMessage());
            return;
        }
        if (!server.isRunning() || server.port() < 0) {
            exit(1, "cannot listen on " + host + ":" + port + " (address in use or not permitted)");
            return;
        }
        LOG.log(Level.INFO, "gpt2 server listening on http://{0}:{1}/ (model {2} loading)",
                host, String.valueOf(server.port()), settings.modelPath());
        models.startLoading(settings.modelPath(), () -> loadModel(settings.modelPath(), options, pinText));
        // Closing the model first ends in-flight generations (streams get a final error event and end cleanly),
        // then the server stops with no handler left waiting.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.log(Level.INFO, "shutting down: cancelling in-flight generations, stopping the server");
            models.close();
            server.stop();
        }, "gpt2-shutdown"));
    }

    /** A startup or fatal error: one line on stderr, then the process ends with CODE. */
    private static void exit(int code, String message) {
        System.err.println("gpt2-server: " + message);
        System.err.flush();
        System.exit(code);
    }

    /**
     * Loads the model and pins PIN_TEXT (null = none) in its prompt cache; a pin that fails closes the model and is
     * the load's error (so the process exits with it, as for a bad model file).
     */
    static Gpt2Model loadModel(Path path, ModelOptions options, String pinText) {
        Gpt2Model model = Gpt2Model.load(path, options);
        if (pinText != null) {
            try {
                int n = model.pinPrompt(pinText);
                LOG.log(Level.INFO, "pinned {0} prompt tokens in the prompt cache", String.valueOf(n));
            } catch (RuntimeException e) {
                model.close();
                throw new IllegalStateException("--pin-prompt-file: " + e.getMessage(), e);
            }
        }
        return model;
    }

    /** The text of the --pin-prompt-file FILE (null for none), checked before the server starts listening. */
    static String readPinPrompt(Path file, ModelOptions options) {
        if (file == null) {
            return null;
        }
        if (options.promptCacheMb() == 0) {
            throw new IllegalArgumentException("--pin-prompt-file needs the prompt cache: --prompt-cache-mb must be "
                    + "more than 0");
        }
        try {
            String text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("--pin-prompt-file " + file + " is empty");
            }
            return text;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("--pin-prompt-file " + file + " is not UTF-8 text");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--pin-prompt-file " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** Fails early (before listening) on the mistakes a load would only report later. */
    static void checkModelFile(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("model file " + path + " does not exist");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException("model file " + path + " is not a readable file");
        }
    }

    /**
     * Binds HOST:PORT once and lets go, so that "address in use" is one clear line here rather than Helidon's
     * stack trace (the server's own bind is still checked after start: the port can be taken in between).
     */
    static void checkPortFree(String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
    }

    /** Flags beat environment variables, which beat application.yaml. */
    static Config config(Map<String, String> flags) {
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(flags))
                .addSource(ConfigSources.environmentVariables())
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
    }

    /** The server of SERVER_CONFIG (the "server" node), set up as {@link #configure} says; tests use it. */
    static WebServerConfig.Builder server(Config serverConfig, ModelHolder models, ServerMetrics metrics,
                                          ServerSettings settings) {
        return configure(WebServer.builder().config(serverConfig), serverConfig, models, metrics, settings);
    }

    /**
     * Everything a server of this project has: HTTP/1 with CurrentConnection, JSON errors for broken requests,
     * the features (OpenAPI, health and metrics), and the routes. Features are added here, not discovered, so that tests and
     * production run the same set.
     */
    static WebServerConfig.Builder configure(WebServerConfig.Builder server, Config serverConfig,
                                             ModelHolder models, ServerMetrics metrics, ServerSettings settings) {
        return server
                // only this HTTP/1 configuration: discovered defaults would add a second HTTP/1 candidate, and with
                // two Helidon waits for a connection's first bytes before it can idle-check it
                .protocolsDiscoverServices(false)
                .addProtocol(CurrentConnection.http1(serverConfig.get("protocols.http1")))
                .directHandlers(TransportErrors.handlers())
                // TCP_NODELAY: an answer written in more than one piece (Helidon's health and metrics endpoints,
                // every event of a stream) otherwise waits ~40 ms for the client's delayed ACK (Nagle)
                .connectionOptions(SocketOptions.builder().config(serverConfig.get("connection-options"))
                        .tcpNoDelay(true).build())
                .featuresDiscoverServices(false)
                .addFeature(ApiDocs.openApiFeature())
                .addFeature(Observe.feature(models, metrics))
                .routing(routing -> routing(routing, models, metrics, settings));
    }

    /**
     * All routes; package-private so tests build the same server. The route table is built from what the
     * services register and the paths the features serve.
     */
    static RouteTable routing(HttpRouting.Builder routing, ModelHolder models, ServerMetrics metrics,
                              ServerSettings settings) {
        RouteTable table = new RouteTable();
        PageService pages = table.add("/", new PageService());
        ApiDocs docs = table.add(ApiDocs.DOCS_PATH, new ApiDocs());
        table.addSubtree(ApiDocs.DOCS_PATH, "GET");
        TgiService tgi = table.add("/", new TgiService(models, metrics, settings));
        OpenAiService openAi = table.add("/v1", new OpenAiService(models, metrics, settings));
        ModelService model = table.add("/", new ModelService(models, settings));
        table.add("GET", ApiDocs.OPENAPI_PATH, true);
        Observe.PATHS.forEach(p -> table.add("GET", p, !p.equals("/health/started")));
        routing.addFilter(CurrentConnection.HONOUR_CONNECTION_CLOSE);
        routing.addFilter((chain, req, res) -> {
            // the label from the absolute path, taken now: inside a service (/v1) the path becomes relative
            String route = table.label(req.path().absolute().path());
            try {
                chain.proceed();
            } finally {
                metrics.recordRequest(route, res.status().code());
            }
        });
        routing.addFilter(Observe::guard);
        routing.error(Throwable.class, ErrorDialect::handle);
        routing.register("/", pages)
                .register(ApiDocs.DOCS_PATH, docs)
                .register("/", tgi)
                .register("/v1", openAi)
                .register("/", model)
                .addFeature(metrics)
                .addFeature(table.fallbackFeature());
        return table;
    }
}
