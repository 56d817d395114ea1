package io.esb.docker;

import java.util.Map;

/** Labels that mark the containers this gateway manages; nothing without them is ever touched. */
public final class Labels {
    public static final String MANAGED = "esb.managed";
    public static final String INSTANCE = "esb.instance";
    public static final String FUNCTION = "esb.function";
    public static final String SPEC = "esb.spec";

    private Labels() {}

    public static Map<String, String> forContainer(String instanceId, String function, String specHash) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId, FUNCTION, function, SPEC, specHash);
    }

    public static Map<String, String> forInstance(String instanceId) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId);
    }

    public static Map<String, String> forFunction(String instanceId, String function) {
        return Map.of(MANAGED, "true", INSTANCE, instanceId, FUNCTION, function);
    }
}
