package esb.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The example function (API Gateway style). Name from queryStringParameters.name,
 * else from a JSON body {"name": ...}, else "World"; greeting from env GREETING.
 */
public final class HelloHandler implements Handler {
    private final String greeting;

    public HelloHandler() {
        String g = System.getenv("GREETING");
        greeting = g == null || g.isEmpty() ? "Hello" : g;
    }

    @Override
    public Object handle(Object eventObj, Context context) {
        Map<String, Object> event = Events.asMap(eventObj);
        String name = Events.str(Events.query(event), "name");
        if (name == null || name.isEmpty()) name = Events.str(Events.jsonBody(event), "name");
        if (name == null || name.isEmpty()) name = "World";
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", greeting + ", " + name + "!");
        body.put("container", Events.hostname());
        return Events.proxyJson(body);
    }
}
