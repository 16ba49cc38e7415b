// Health and metrics through Helidon's observe feature: GET /health (every check), /health/ready (503 while the
// model loads, after a failed load, once the engine thread has died, and while shutting down), /health/live (200
// while the process serves HTTP), /health/started; GET /metrics (Prometheus text: this server's meters, see
// ServerMetrics, plus Helidon's JVM and system meters).
package dev.gpt2.server;

import java.util.List;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * The observe feature of a server.
 * <pre>
 * curl -i localhost:8080/health        # {"status":"UP","checks":[{"name":"model","status":"UP","data":{...}}]}
 * curl -s localhost:8080/metrics
 * </pre>
 */
final class Observe {
    private Observe() {
    }

    /** The paths the observers below serve (for the route table). */
    static final List<String> PATHS = List.of("/health", "/health/live", "/health/ready", "/health/started",
            "/metrics");

    /** Observers at the root ("/health", "/metrics"), as the server had them before Helidon served them. */
    static ObserveFeature feature(ModelHolder models, ServerMetrics metrics) {
        metrics.observe(models);
        return ObserveFeature.builder()
                .endpoint("/")
                .observersDiscoverServices(false)
                .addObserver(HealthObserver.builder()
                        .endpoint("health")
                        .details(true)
                        .useSystemServices(false)
                        .addCheck(modelCheck(models))
                        .build())
                .addObserver(MetricsObserver.builder()
                        .endpoint("metrics")
                        .meterRegistry(metrics.registry())
                        .build())
                .build();
    }

    /**
     * A filter for the observe paths: they take GET (and HEAD) without a body. Helidon's observers answer without
     * reading a request body, and the server would then wait for the rest of a body that never ends (a broken
     * chunked one) until the read timeout: such a request is refused here at once, its connection closed.
     */
    static void guard(io.helidon.webserver.http.FilterChain chain, io.helidon.webserver.http.RoutingRequest req,
                      io.helidon.webserver.http.RoutingResponse res) {
        String path = req.path().absolute().path();
        if (!PATHS.contains(path)) {
            chain.proceed();
            return;
        }
        String method = req.prologue().method().text();
        boolean body = req.headers().contains(io.helidon.http.HeaderNames.TRANSFER_ENCODING)
                || req.headers().contentLength().orElse(0L) > 0;
        if (method.equals("GET") || method.equals("HEAD")) {
            if (!body) {
                chain.proceed();
                return;
            }
            ErrorDialect.TGI.send(res, new ApiException(400, null, path + " takes no request body", "bad_request",
                    true));
            return;
        }
        res.header(io.helidon.http.HeaderValues.create(io.helidon.http.HeaderNames.ALLOW, "GET"));
        ErrorDialect.TGI.send(res, new ApiException(405, null, "method " + method + " is not allowed on " + path
                + "; use GET", "method_not_allowed", body));
    }

    /** Readiness: the model is loaded and its engine thread alive. */
    static HealthCheck modelCheck(ModelHolder models) {
        return new HealthCheck() {
            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }

            @Override
            public String name() {
                return "model";
            }

            @Override
            public HealthCheckResponse call() {
                ModelHolder.State state = models.state();
                return HealthCheckResponse.builder()
                        .status(state == ModelHolder.State.READY)
                        .detail("state", ModelHolder.describe(state))
                        .detail("name", models.name())
                        .build();
            }
        };
    }
}
