// The API's description and its docs page, from the ecosystem's parts: Helidon's OpenAPI feature serves
// META-INF/openapi.yaml (the one description of every route, schema, example and error) at /openapi, YAML or JSON
// as the Accept header asks; /docs/ is the Swagger UI webjar served from the jar by Helidon's static content
// support, with an initializer of ours that points it at /openapi (the webjar's own one loads the petstore).
package dev.gpt2.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.openapi.OpenApiFeature;
import io.helidon.openapi.OpenApiFormat;
import io.helidon.openapi.OpenApiManager;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.staticcontent.StaticContentService;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code /openapi} and {@code /docs/}.
 * <pre>
 * curl -s localhost:8080/openapi                                 # YAML
 * curl -s -H 'Accept: application/json' localhost:8080/openapi   # JSON
 * open http://localhost:8080/docs/                               # Swagger UI, "Try it out" included
 * </pre>
 */
final class ApiDocs implements RoutedService {
    /** Where the OpenAPI document lives on the classpath (Helidon's default place for it). */
    static final String OPENAPI_FILE = "META-INF/openapi.yaml";
    /** Where the routes of this service are registered. */
    static final String DOCS_PATH = "/docs";

    private static final String WEBJAR_PROPERTIES = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";

    /** Where Helidon's OpenAPI feature serves the document (its default web context). */
    static final String OPENAPI_PATH = "/openapi";

    /** The feature serving {@link #OPENAPI_FILE} at /openapi. */
    static OpenApiFeature openApiFeature() {
        return OpenApiFeature.builder().staticFile(OPENAPI_FILE).servicesDiscoverServices(false)
                .manager(new Document()).build();
    }

    /**
     * Helidon's OpenAPI manager for a static file, with JSON written by Jackson: Helidon's own (SimpleOpenApiManager,
     * 4.5.0) writes a YAML null as {@code !!null "null"}, which is not JSON, and the document's examples have nulls.
     * YAML is served as written (comments and order kept).
     */
    static final class Document implements OpenApiManager<Document.Source> {
        record Source(String yaml, JsonNode tree) {
        }

        @Override
        public Source load(String yaml) {
            return new Source(yaml, JsonBody.MAPPER.valueToTree(new Yaml().load(yaml)));
        }

        @Override
        public String format(Source source, OpenApiFormat format) {
            if (format == OpenApiFormat.JSON) {
                try {
                    return JsonBody.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(source.tree());
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
            return source.yaml();
        }

        @Override
        public String name() {
            return "gpt2";
        }

        @Override
        public String type() {
            return "gpt2-static-yaml";
        }
    }

    /** The docs page's own routes; the rest of /docs/ is the webjar's static content. */
    @Override
    public List<Route> routes() {
        return List.of(Route.get("/", this::slash), Route.asset("/swagger-initializer.js", this::initializer));
    }

    @Override
    public void routing(HttpRules rules) {
        RoutedService.super.routing(rules);
        rules.register(StaticContentService.builder(webjarRoot()).welcomeFileName("index.html").build());
    }

    /** /docs -> /docs/: the webjar's page loads its scripts relative to its own URL. */
    private void slash(ServerRequest req, ServerResponse res) {
        if (req.path().absolute().path().endsWith("/")) {
            res.next();
            return;
        }
        res.status(Status.MOVED_PERMANENTLY_301);
        res.header(HeaderValues.create(HeaderNames.LOCATION, DOCS_PATH + "/"));
        res.send();
    }

    private void initializer(ServerRequest req, ServerResponse res) {
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/javascript; charset=utf-8"));
        res.header(HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-cache"));
        res.send(Responses.resource("/web/swagger-initializer.js"));
    }

    /** The webjar's folder: its version read from the webjar's own Maven properties, so an upgrade is the pom's. */
    static String webjarRoot() {
        try (InputStream in = ApiDocs.class.getResourceAsStream(WEBJAR_PROPERTIES)) {
            if (in == null) {
                throw new IllegalStateException("the swagger-ui webjar is not on the classpath");
            }
            Properties p = new Properties();
            p.load(in);
            return "META-INF/resources/webjars/swagger-ui/" + p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
