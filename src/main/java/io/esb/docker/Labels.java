package io.esb.docker;

import java.util.Map;

/** Labels that mark the containers this gateway manages; nothing without them is ever touched. */
public final class Labels {
    public static final String MANAGED = "esb.managed";
    public static final String INSTANCE = "esb.instance";
    public static final String FUNCTION = "esb.function";
    public static final String SPEC = "esb.spec";
    /** On a container that pulls its invocations from the Runtime API: it publishes nothing and needs no address. */
    public static final String PULLS = "esb.pulls";

    private Labels() {}

    public static Map<String, String> forContainer(String instanceId, String function, String specHash) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId, FUNCTION, function, SPEC, specHash);
    }

    /** {@code pulls}: the container calls the Runtime API (pull mode) rather than serving an RIE. */
    public static Map<String, String> forContainer(String instanceId, String function, String specHash, boolean pulls) {
        return pulls ? Map.of(MANAGED, "true", INSTANCE, instanceId, FUNCTION, function, SPEC, specHash, PULLS, "true")
                : forContainer(instanceId, function, specHash);
    }

    public static Map<String, String> forInstance(String instanceId) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId);
    }

    public static Map<String, String> forFunction(String instanceId, String function) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId, FUNCTION, function);
    }
}
