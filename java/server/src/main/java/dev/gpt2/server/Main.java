// Entry point: config (application.yaml < environment < flags) -> WebServer -> routing; the model loads in the
// background after the server is listening, so /health says 503 until it is ready.
package dev.gpt2.server;

import java.lang.System.Logger.Level;
import java.util.Map;

import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
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
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Config config = config(flags);
        ServerSettings settings = ServerSettings.from(config.get("gpt2"));
        if (settings.modelPath() == null) {
            System.err.println("no model: pass --model PATH (or set gpt2.model / GPT2_MODEL)\nflags:\n"
                    + ServerSettings.FLAG_HELP);
            System.exit(2);
            return;
        }
        ServerMetrics metrics = new ServerMetrics();
        ModelHolder[] holder = new ModelHolder[1];
        holder[0] = ModelHolder.loadLater(settings.modelName());
        WebServer server = WebServer.builder()
                .config(config.get("server"))
                .shutdownHook(false)
                .routing(routing -> routing(routing, holder[0], metrics, settings))
                .build()
                .start();
        LOG.log(Level.INFO, "gpt2 server listening on http://{0}:{1}/ (model {2} loading)",
                config.get("server.host").asString().orElse("0.0.0.0"), String.valueOf(server.port()),
                settings.modelPath());
        holder[0].startLoading(settings.modelPath(), () -> Gpt2Model.load(settings.modelPath(), options(settings)));
        // Closing the model first ends in-flight generations (streams get a final error event and end cleanly),
        // then the server stops with no handler left waiting.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.log(Level.INFO, "shutting down: cancelling in-flight generations, stopping the server");
            holder[0].close();
            server.stop();
        }, "gpt2-shutdown"));
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

    static ModelOptions options(ServerSettings s) {
        return ModelOptions.builder()
                .threads(s.threads())
                .contextSize(s.contextSize())
                .batchSlots(s.batchSlots())
                .queueCapacity(s.queueSize())
                .build();
    }

    /** All routes; package-private so tests build the same server. */
    static void routing(HttpRouting.Builder routing, ModelHolder models, ServerMetrics metrics,
                        ServerSettings settings) {
        routing.addFilter((chain, req, res) -> {
            try {
                chain.proceed();
            } finally {
                metrics.recordRequest(RouteTable.label(req.path().path()), res.status().code());
            }
        });
        routing.register("/", new PageService())
                .register("/", new TgiService(models, metrics, settings))
                .register("/v1", new OpenAiService(models, metrics, settings))
                .register("/", new ModelService(models, settings))
                .register("/", new ObserveService(models, metrics))
                .any(RouteTable::fallback);
    }
}
