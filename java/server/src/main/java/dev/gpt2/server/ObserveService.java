// Health and metrics: GET /health (503 while the model loads, after a failed load or once the engine thread has
// died; 200 when ready), /health/live (200 while the process serves HTTP),
// /health/ready (same as /health), GET /metrics (Prometheus text).
package dev.gpt2.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.EngineStats;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Probes and metrics.
 * <pre>
 * curl -i localhost:8080/health
 * curl -s localhost:8080/metrics
 * </pre>
 */
final class ObserveService implements HttpService {
    private final ModelHolder models;
    private final ServerMetrics metrics;

    ObserveService(ModelHolder models, ServerMetrics metrics) {
        this.models = models;
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/health", this::ready)
                .get("/health/ready", this::ready)
                .get("/health/live", this::live)
                .get("/metrics", this::metrics);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        ModelHolder.State state = models.state();
        boolean ready = state == ModelHolder.State.READY;
        out.put("status", switch (state) {
            case READY -> "ok";
            case LOADING -> "loading";
            default -> "unavailable";
        });
        out.put("model", ModelHolder.describe(state));
        if (!ready) {
            res.status(Status.SERVICE_UNAVAILABLE_503);
            res.header(HeaderValues.create(HeaderNames.RETRY_AFTER, ErrorDialect.RETRY_AFTER_SECONDS));
        }
        Responses.sendJson(res, out);
    }

    private void live(ServerRequest req, ServerResponse res) {
        Responses.sendJson(res, JsonBody.MAPPER.createObjectNode().put("status", "ok"));
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        EngineStats stats = models.ready() ? models.model().stats() : null;
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"));
        res.send(metrics.scrape(stats));
    }
}
