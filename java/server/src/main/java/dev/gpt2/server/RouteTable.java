// The route table in one place: metric labels for known paths, and JSON 404 / 405 (with Allow) for the rest,
// in the dialect of the path (/v1/* OpenAI, else TGI).
package dev.gpt2.server;

import java.util.Map;

import io.helidon.common.Weighted;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.HttpFeature;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

final class RouteTable {
    /** path -> allowed method. */
    static final Map<String, String> ROUTES = Map.ofEntries(
            Map.entry("/", "GET, POST"),
            Map.entry("/docs", "GET"),
            Map.entry("/openapi", "GET"),
            Map.entry("/generate", "POST"),
            Map.entry("/generate_stream", "POST"),
            Map.entry("/v1/completions", "POST"),
            Map.entry("/v1/models", "GET"),
            Map.entry("/tokenize", "POST"),
            Map.entry("/detokenize", "POST"),
            Map.entry("/info", "GET"),
            Map.entry("/health", "GET"),
            Map.entry("/health/live", "GET"),
            Map.entry("/health/ready", "GET"),
            Map.entry("/metrics", "GET"));

    private RouteTable() {
    }

    /** Bounded metric label: the route, "/static" for assets, "other" for anything unknown. */
    static String label(String path) {
        if (ROUTES.containsKey(path)) {
            return path;
        }
        if (path.startsWith("/docs/")) {
            return "/docs";
        }
        return path.startsWith("/static/") ? "/static" : "other";
    }

    /**
     * The fallback as a feature of the lowest weight: Helidon sets up the application's own handlers (weight 100)
     * and then the features by falling weight (OpenAPI 90, observe 80), so a plain {@code any()} would answer
     * their paths before they could.
     */
    static final class Fallback implements HttpFeature, Weighted {
        @Override
        public void setup(HttpRouting.Builder routing) {
            routing.any(RouteTable::fallback);
        }

        @Override
        public double weight() {
            return 1;
        }
    }

    /** Last handler: 405 for a known path with the wrong method, else 404. */
    static void fallback(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        String allowed = ROUTES.get(path);
        ErrorDialect dialect = ErrorDialect.forPath(path);
        if (allowed != null || path.startsWith("/static/")) {
            res.header(HeaderValues.create(HeaderNames.ALLOW, allowed == null ? "GET" : allowed));
            dialect.send(res, new ApiException(405, null, "method " + req.prologue().method().text()
                    + " is not allowed on " + path + "; use " + (allowed == null ? "GET" : allowed),
                    "method_not_allowed"));
            return;
        }
        dialect.send(res, new ApiException(404, null, "no route for " + req.prologue().method().text() + " "
                + path, "not_found"));
    }
}
