package io.esb.cluster;

import akka.actor.ExtendedActorSystem;
import akka.serialization.SerializerWithStringManifest;
import com.typesafe.config.ConfigUtil;

import java.io.NotSerializableException;

/**
 * Stands in, on a lone gateway, for each serializer of Akka's remoting and cluster modules, so that the actor system
 * does not load them at startup ({@link ClusterNode#loneNodeConfig}). Their bindings are off, so it never runs. Akka
 * wants a distinct identifier per serializer: each binding name has its own, set next to it.
 */
public final class LoneNodeSerializer extends SerializerWithStringManifest {
    static final String IDS = "esb-internal.lone-node-serializer-ids";

    private final int identifier;
    private final String bindingName;

    public LoneNodeSerializer(ExtendedActorSystem system, String bindingName) {
        this.bindingName = bindingName;
        this.identifier = system.settings().config().getInt(IDS + "." + ConfigUtil.quoteString(bindingName));
    }

    @Override
    public int identifier() {
        return identifier;
    }

    @Override
    public String manifest(Object message) {
        throw new IllegalStateException(unused());
    }

    @Override
    public byte[] toBinary(Object message) {
        throw new IllegalStateException(unused());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        throw new NotSerializableException(unused());
    }

    private String unused() {
        return "serializer '" + bindingName + "' is off on a gateway without esb.cluster";
    }
}
