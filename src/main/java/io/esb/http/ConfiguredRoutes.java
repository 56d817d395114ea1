package io.esb.http;

import io.esb.config.FunctionSettings;

import java.util.ArrayList;
import java.util.Collection;

/** Builds the route table from the functions' settings; a conflict or a bad template throws with the reason. */
public final class ConfiguredRoutes {
    private ConfiguredRoutes() {}

    public static RouteTable build(Collection<FunctionSettings> functions) {
        var entries = new ArrayList<RouteTable.Entry>();
        for (var function : functions) {
            for (var route : function.routes()) {
                entries.add(new RouteTable.Entry(function.name(), route.method(), PathTemplate.parse(route.path())));
            }
        }
        return RouteTable.of(entries);
    }
}
