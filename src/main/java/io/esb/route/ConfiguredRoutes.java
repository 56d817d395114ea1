package io.esb.route;

import java.util.ArrayList;
import java.util.Collection;

/** Builds the route table from the functions' settings; a conflict or a bad template throws with the reason. */
public final class ConfiguredRoutes {
    private ConfiguredRoutes() {}

    /** What routes need of a function: its name and its routes (the function's settings implement it). */
    public interface Routed {
        String name();

        java.util.List<io.esb.route.RouteSettings> routes();
    }

    public static RouteTable build(Collection<? extends Routed> functions) {
        var entries = new ArrayList<RouteTable.Entry>();
        for (var function : functions) {
            for (var route : function.routes()) {
                entries.add(new RouteTable.Entry(function.name(), route.method(), PathTemplate.parse(route.path())));
            }
        }
        return RouteTable.of(entries);
    }

    /** Each route's own settings (payload format, auth), found by the table entry a lookup returns. */
    public static java.util.Map<RouteTable.Entry, io.esb.route.RouteSettings> settingsByEntry(Collection<? extends Routed> functions) {
        var result = new java.util.HashMap<RouteTable.Entry, io.esb.route.RouteSettings>();
        for (var function : functions) {
            for (var route : function.routes()) {
                result.put(new RouteTable.Entry(function.name(), route.method(), PathTemplate.parse(route.path())), route);
            }
        }
        return java.util.Map.copyOf(result);
    }
}
