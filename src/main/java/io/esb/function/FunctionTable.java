package io.esb.function;

import akka.actor.typed.ActorRef;
import io.esb.config.FunctionSettings;
import io.esb.route.RouteSettings;
import io.esb.route.ConfiguredRoutes;
import io.esb.route.RouteTable;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One version of the configured functions as the HTTP layer sees it: their settings, the actors that serve them, the
 * route table and each route's settings. Immutable; the {@link FunctionRegistry} publishes a new one on each reload,
 * and a request reads it once so everything it uses belongs to the same version.
 *
 * @param generation 1 at startup, one more for each applied reload
 */
public record FunctionTable(
        long generation,
        Map<String, FunctionSettings> functions,
        Map<String, ActorRef<FunctionActor.Command>> refs,
        RouteTable routes,
        Map<RouteTable.Entry, RouteSettings> routeSettings) {

    public FunctionTable {
        functions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(functions));
        refs = Map.copyOf(refs);
        routeSettings = Map.copyOf(routeSettings);
        if (!functions.keySet().equals(refs.keySet())) {
            throw new IllegalArgumentException("every function needs exactly one actor: " + functions.keySet() + " vs " + refs.keySet());
        }
    }

    /** Builds the route table from the functions' routes; they are validated already, so this does not throw for them. */
    public static FunctionTable of(long generation, Map<String, FunctionSettings> functions,
                                   Map<String, ActorRef<FunctionActor.Command>> refs) {
        return new FunctionTable(generation, functions, refs, ConfiguredRoutes.build(functions.values()),
                ConfiguredRoutes.settingsByEntry(functions.values()));
    }

    /** The function's settings in this version, or null when it is not configured. */
    public FunctionSettings function(String name) {
        return functions.get(name);
    }

    /** The actor serving the function in this version, or null when it is not configured. */
    public ActorRef<FunctionActor.Command> ref(String name) {
        return refs.get(name);
    }

    /** The settings (payload format, auth) of a route this version's table returned. */
    public RouteSettings route(RouteTable.Entry entry) {
        return routeSettings.get(entry);
    }
}
