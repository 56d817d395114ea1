package io.esb.runtimeapi;

import io.esb.docker.DockerOps;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which of this machine's addresses containers on a Docker network reach: the network's gateway when the gateway runs
 * on the host (docker0's 172.17.0.1), or the gateway's own address on that network when it runs in a container there.
 * When Docker names only the network's subnet, this machine's address in that subnet is the one.
 */
final class LocalAddresses {
    private LocalAddresses() {}

    /** The address to listen on for {@code network}'s containers, or null when this machine has none on it. */
    static String onNetwork(DockerOps.NetworkAddresses network) {
        return choose(network, local());
    }

    static String choose(DockerOps.NetworkAddresses network, List<String> local) {
        if (network.gateway() != null && local.contains(network.gateway())) {
            return network.gateway();
        }
        for (var address : local) {
            if (inSubnet(address, network.subnet())) {
                return address;
            }
        }
        return null;
    }

    static boolean inSubnet(String address, String cidr) {
        if (cidr == null || !cidr.contains("/")) {
            return false;
        }
        try {
            int bits = Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1));
            int mask = bits == 0 ? 0 : -1 << (32 - bits);
            return (toInt(address) & mask) == (toInt(cidr.substring(0, cidr.indexOf('/'))) & mask);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int toInt(String address) {
        var parts = address.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException(address);
        }
        int value = 0;
        for (var part : parts) {
            value = value << 8 | Integer.parseInt(part);
        }
        return value;
    }

    private static List<String> local() {
        var addresses = new ArrayList<String>();
        try {
            var interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                for (InetAddress address : java.util.Collections.list(interfaces.nextElement().getInetAddresses())) {
                    if (address instanceof Inet4Address) {
                        addresses.add(address.getHostAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // none known: the caller reports that no address was found
        }
        return addresses;
    }
}
