package io.esb.cluster;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.javadsl.Adapter;
import akka.serialization.SerializerWithStringManifest;
import io.esb.function.Invocation;
import io.esb.function.InvocationResult;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The wire form of the few messages nodes send each other ({@link ClusterMessage}): plain fields in a fixed order, and
 * the event and answer bodies as raw bytes, so a 6 MB payload is copied once and never re-encoded. Akka's Java
 * serialization is off, and these messages carry byte arrays and enums that a generic mapper would only slow down.
 */
public final class ClusterSerializer extends SerializerWithStringManifest {
    private static final String INVOKE = "I";
    private static final String ACCEPTED = "A";
    private static final String ANSWERED = "C";
    private static final String REFUSED = "F";

    private final ActorRefResolver resolver;

    public ClusterSerializer(ExtendedActorSystem system) {
        this.resolver = ActorRefResolver.get(Adapter.toTyped(system));
    }

    @Override
    public int identifier() {
        return 1_720_001;
    }

    @Override
    public String manifest(Object message) {
        if (message instanceof FunctionHost.Invoke) {
            return INVOKE;
        } else if (message instanceof ClusterInvoker.Accepted) {
            return ACCEPTED;
        } else if (message instanceof ClusterInvoker.Answered) {
            return ANSWERED;
        } else if (message instanceof ClusterInvoker.Refused) {
            return REFUSED;
        }
        throw new IllegalArgumentException("not a cluster message: " + message.getClass().getName());
    }

    @Override
    public byte[] toBinary(Object message) {
        var bytes = new ByteArrayOutputStream(message instanceof FunctionHost.Invoke invoke ? invoke.invocation().event().length + 256 : 256);
        try (var out = new DataOutputStream(bytes)) {
            if (message instanceof FunctionHost.Invoke invoke) {
                out.writeLong(invoke.callId());
                writeBytes(out, invoke.invocation().event());
                writeString(out, invoke.invocation().requestId());
                out.writeBoolean(invoke.invocation().tailLogs());
                writeString(out, invoke.invocation().clientContext());
                writeString(out, resolver.toSerializationFormat(invoke.caller()));
            } else if (message instanceof ClusterInvoker.Accepted accepted) {
                out.writeLong(accepted.callId());
                writeString(out, accepted.node());
            } else if (message instanceof ClusterInvoker.Answered answered) {
                out.writeLong(answered.callId());
                var c = answered.result();
                out.writeInt(c.status());
                writeBytes(out, c.body());
                writeString(out, c.contentType());
                out.writeBoolean(c.coldStart());
                writeString(out, c.containerId());
                writeString(out, c.logTail());
            } else if (message instanceof ClusterInvoker.Refused refused) {
                out.writeLong(refused.callId());
                var f = refused.result();
                writeString(out, f.reason().name());
                writeString(out, f.message());
                out.writeBoolean(f.coldStart());
            } else {
                throw new IllegalArgumentException("not a cluster message: " + message.getClass().getName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try (var in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            switch (manifest) {
                case INVOKE:
                    long callId = in.readLong();
                    var invocation = new Invocation(readBytes(in), readString(in), in.readBoolean(), readString(in));
                    return new FunctionHost.Invoke(callId, invocation, resolver.resolveActorRef(readString(in)));
                case ACCEPTED:
                    return new ClusterInvoker.Accepted(in.readLong(), readString(in));
                case ANSWERED:
                    long answeredId = in.readLong();
                    return new ClusterInvoker.Answered(answeredId, new InvocationResult.Completed(in.readInt(), readBytes(in), readString(in),
                            in.readBoolean(), readString(in), readString(in)));
                case REFUSED:
                    long refusedId = in.readLong();
                    return new ClusterInvoker.Refused(refusedId, new InvocationResult.Failed(InvocationResult.Reason.valueOf(readString(in)),
                            readString(in), in.readBoolean()));
                default:
                    throw new NotSerializableException("unknown cluster message manifest '" + manifest + "'");
            }
        } catch (IOException | IllegalArgumentException e) {
            var failure = new NotSerializableException("cannot read cluster message '" + manifest + "': " + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value.length);
        out.write(value);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        return in.readNBytes(in.readInt());
    }

    /** Null-safe, and not limited to 64 KB as {@code writeUTF} is (a log tail or client context may be long). */
    private static void writeString(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
        } else {
            writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        return length < 0 ? null : new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
