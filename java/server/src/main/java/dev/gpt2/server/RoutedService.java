// A service that lists its routes: it registers them with Helidon from that list, and RouteTable reads the same
// list (metric labels, 405 + Allow, the OpenAPI check), so the table cannot miss a route a service has.
package dev.gpt2.server;

import java.util.List;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

interface RoutedService extends HttpService {
    /** One route; API routes are in the OpenAPI document, assets (api = false) are not. */
    record Route(Method method, String path, Handler handler, boolean api) {
        static Route get(String path, Handler handler) {
            return new Route(Method.GET, path, handler, true);
        }

        static Route post(String path, Handler handler) {
            return new Route(Method.POST, path, handler, true);
        }

        static Route asset(String path, Handler handler) {
            return new Route(Method.GET, path, handler, false);
        }
    }

    /** This service's routes, relative to where it is registered. */
    List<Route> routes();

    @Override
    default void routing(HttpRules rules) {
        for (Route r : routes()) {
            rules.route(r.method(), r.path(), r.handler());
        }
    }
}
