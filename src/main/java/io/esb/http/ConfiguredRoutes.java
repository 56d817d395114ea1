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

    /** Each route's own settings (payload format, auth), found by the table entry a lookup returns. */
    public static java.util.Map<RouteTable.Entry, io.esb.config.RouteSettings> settingsByEntry(Collection<FunctionSettings> functions) {
        var result = new java.util.HashMap<RouteTable.Entry, io.esb.config.RouteSettings>();
        for (var function : functions) {
            for (var route : function.routes()) {
                result.put(new RouteTable.Entry(function.name(), route.method(), PathTemplate.parse(route.path())), route);
            }
        }
        return java.util.Map.copyOf(result);
    }
}
